"""Build tiny Paddle inference models with the real PP-ShiTuV2 inputs and outputs.

Run as a script (the program IR is chosen per process by FLAGS_enable_pir_api, so the
test session runs it twice)::

    FLAGS_enable_pir_api=0 python tiny_models.py legacy OUTDIR   # inference.pdmodel
    FLAGS_enable_pir_api=1 python tiny_models.py pir OUTDIR      # inference.json

Detector: inputs ``image`` [N,3,640,640], ``im_shape`` [N,2], ``scale_factor`` [N,2] (or
``image`` + ``scale_factor`` only); an identity convolution (so oneDNN runs ``fused_conv2d``
as in the real detector); outputs boxes [N*K, 6] = class, score, x1, y1, x2, y2
(the constant ``DET_BOXES_640`` mapped to original pixels through scale_factor) and
boxes-per-image [N] int32.  Extractor: ``x`` [N,3,224,224] -> [N,512]: 4x4 average pooling
(48 values) times a fixed random 48x512 matrix, not normalised, image-dependent.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

# Boxes in the 640x640 network frame: on a 640x640 photo these are the pixel boxes.
DET_BOXES_640 = np.array(
    [
        [20, 20, 300, 300],  # item A
        [340, 20, 620, 300],  # item B
        [30, 30, 290, 290],  # A again, slightly smaller: a duplicate box
        [20, 340, 300, 620],  # item C (not in the gallery)
        [340, 340, 620, 620],  # a second A
        [600, 600, 700, 700],  # partly outside the image, low score
    ],
    dtype=np.float32,
)
DET_SCORES = np.array([0.9, 0.85, 0.8, 0.7, 0.6, 0.3], dtype=np.float32)
EXTRACTOR_SEED = 1234


def _save(out_dir, feed_vars, fetch_vars, main, start):
    import paddle

    exe = paddle.static.Executor(paddle.CPUPlace())
    exe.run(start)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    paddle.static.save_inference_model(str(Path(out_dir) / "inference"), feed_vars, fetch_vars, exe, program=main)


def build_detector(out_dir: str, inputs=("image", "im_shape", "scale_factor")) -> None:
    import paddle
    import paddle.nn.functional as F

    main, start = paddle.static.Program(), paddle.static.Program()
    k = len(DET_BOXES_640)
    with paddle.static.program_guard(main, start):
        feeds = {"image": paddle.static.data("image", [-1, 3, 640, 640], "float32")}
        if "im_shape" in inputs:
            feeds["im_shape"] = paddle.static.data("im_shape", [-1, 2], "float32")
        feeds["scale_factor"] = paddle.static.data("scale_factor", [-1, 2], "float32")
        # An identity 1x1 convolution with a bias: oneDNN fuses it into ``fused_conv2d``, the
        # kernel whose weights a predictor clone shares (and breaks) across threads.
        eye = np.eye(3, dtype=np.float32).reshape(3, 3, 1, 1)
        conv_w = paddle.static.create_parameter(
            [3, 3, 1, 1], "float32", default_initializer=paddle.nn.initializer.Assign(eye)
        )
        conv_b = paddle.static.create_parameter([3], "float32", default_initializer=paddle.nn.initializer.Constant(0.0))
        image = F.conv2d(feeds["image"], conv_w) + paddle.reshape(conv_b, [1, 3, 1, 1])
        pooled = paddle.reshape(F.adaptive_avg_pool2d(image, 1), [-1, 3])  # [N, 3]
        zero = pooled[:, 0:1] * 0.0  # [N, 1]: keeps the image input in the graph
        if "im_shape" in inputs:
            zero = zero + feeds["im_shape"][:, 0:1] * 0.0
        sf = feeds["scale_factor"]  # (640/H, 640/W)
        div = paddle.concat([sf[:, 1:2], sf[:, 0:1], sf[:, 1:2], sf[:, 0:1]], axis=1)  # [N, 4]
        boxes = paddle.unsqueeze(paddle.to_tensor(DET_BOXES_640), 0) / paddle.unsqueeze(div, 1)  # [N, K, 4]
        weight = paddle.static.create_parameter([1], "float32", default_initializer=paddle.nn.initializer.Constant(1.0))
        scores = (paddle.unsqueeze(paddle.to_tensor(DET_SCORES), 0) + zero) * weight  # [N, K]
        rows = paddle.concat([paddle.unsqueeze(scores * 0.0, 2), paddle.unsqueeze(scores, 2), boxes], axis=2)
        rows = paddle.reshape(rows, [-1, 6])
        counts = paddle.cast(pooled[:, 0] * 0.0 + float(k), "int32")
    _save(out_dir, [feeds[name] for name in inputs], [rows, counts], main, start)


def extractor_matrix() -> np.ndarray:
    return np.random.default_rng(EXTRACTOR_SEED).standard_normal((48, 512)).astype(np.float32)


def build_extractor(out_dir: str) -> None:
    import paddle
    import paddle.nn.functional as F

    main, start = paddle.static.Program(), paddle.static.Program()
    with paddle.static.program_guard(main, start):
        x = paddle.static.data("x", [-1, 3, 224, 224], "float32")
        pooled = paddle.reshape(F.avg_pool2d(x, kernel_size=56, stride=56), [-1, 48])
        weight = paddle.static.create_parameter(
            [48, 512], "float32", default_initializer=paddle.nn.initializer.Assign(extractor_matrix())
        )
        out = F.linear(pooled, weight)
    _save(out_dir, [x], [out], main, start)


def main(argv: list[str]) -> None:
    import paddle

    kind, out = argv[1], argv[2]
    paddle.enable_static()
    build_detector(Path(out) / f"det_{kind}")
    build_extractor(Path(out) / f"rec_{kind}")
    if kind == "legacy":
        build_detector(Path(out) / "det_two_inputs", inputs=("image", "scale_factor"))


if __name__ == "__main__":
    main(sys.argv)

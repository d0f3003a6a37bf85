"""Build tiny Paddle inference models with the real PP-ShiTuV2 inputs and outputs.

Run as a script (the program IR is chosen per process by FLAGS_enable_pir_api, so the
test session runs it twice)::

    FLAGS_enable_pir_api=0 python tiny_models.py legacy OUTDIR   # inference.pdmodel
    FLAGS_enable_pir_api=1 python tiny_models.py pir OUTDIR      # inference.json

Detector: inputs ``image`` [N,3,640,640], ``im_shape`` [N,2], ``scale_factor`` [N,2] (or
``image`` + ``scale_factor`` only); an identity convolution (so oneDNN runs ``fused_conv2d``
as in the real detector); outputs boxes [N*K, 6] = class, score, x1, y1, x2, y2
(the constant ``DET_BOXES_640`` mapped to original pixels through scale_factor) and
boxes-per-image [N] int32.  ``det_picodet`` (legacy) has the exported PicoDet structure the
OpenVINO backend cuts: four head levels (sigmoid class maps, transposed box maps) feeding a
``while`` loop that decodes each image, then ``multiclass_nms3``.  Extractor: ``x``
[N,3,224,224] -> [N,512]: 4x4 average pooling (48 values) times a fixed random 48x512 matrix,
not normalised, image-dependent.
"""

from __future__ import annotations

import os
import subprocess
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


# The tiny PicoDet: the exported structure with its own parameters (not the real model's, so a
# backend that hard-coded those would be caught).
PICODET_STRIDES = (8, 16, 32, 64)
PICODET_REG_MAX = 7
PICODET_NMS_PRE = 900  # cells kept per level before NMS
PICODET_NMS = {
    "score_threshold": 0.03,
    "nms_top_k": 800,
    "keep_top_k": 80,
    "nms_threshold": 0.55,
    "normalized": True,
    "nms_eta": 1.0,
    "background_label": -1,
}


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


def _legacy_op(op_type, inputs, **attrs):
    """Append one op with output ``Out`` (some functional APIs no longer build legacy programs)."""
    from paddle.base.layer_helper import LayerHelper

    helper = LayerHelper(op_type)
    out = helper.create_variable_for_type_inference(next(iter(inputs.values())).dtype)
    helper.append_op(type=op_type, inputs=inputs, outputs={"Out": out}, attrs=attrs)
    return out


def build_picodet(out_dir, size: int = 640) -> None:
    """A PicoDet-shaped mainbody detector with the exported graph's structure.

    Head: per stride, the image average-pooled to the level's grid, a random 1x1 conv to
    1 + 4 * bins channels, split; the class map transposed to NHWC then sigmoid, the box map
    transposed.  Then, as PaddleDetection exports it, a ``while`` loop over the batch that
    decodes each image (softmax integral of the bins times the stride from the cell centres
    at ``offset`` 0.5, top ``PICODET_NMS_PRE`` cells of a large level, clip to ``im_shape``,
    divide by ``scale_factor``) into tensor arrays, and ``multiclass_nms3``.
    """
    import paddle
    import paddle.nn.functional as F
    from paddle.base.layer_helper import LayerHelper
    from paddle.static.nn.control_flow import While

    bins = PICODET_REG_MAX + 1
    main, start = paddle.static.Program(), paddle.static.Program()
    main.random_seed = start.random_seed = 5
    with paddle.static.program_guard(main, start):
        image = paddle.static.data("image", [-1, 3, size, size], "float32")
        im_shape = paddle.static.data("im_shape", [-1, 2], "float32")
        scale_factor = paddle.static.data("scale_factor", [-1, 2], "float32")
        cls_maps, box_maps = [], []
        for stride in PICODET_STRIDES:
            pooled = F.avg_pool2d(image, stride, stride)
            out = paddle.static.nn.conv2d(
                pooled,
                1 + 4 * bins,
                1,
                param_attr=paddle.ParamAttr(initializer=paddle.nn.initializer.Normal(0.0, 1.5)),
                bias_attr=paddle.ParamAttr(initializer=paddle.nn.initializer.Normal(0.0, 0.5)),
            )
            cls, box = paddle.split(out, [1, 4 * bins], axis=1)
            cls_maps.append(_legacy_op("sigmoid", {"X": paddle.transpose(cls, [0, 2, 3, 1])}))
            box_maps.append(paddle.transpose(box, [0, 2, 3, 1]))
        project = paddle.static.create_parameter(  # a weight, as in the exported graph
            [bins], "float32", default_initializer=paddle.nn.initializer.Assign(np.arange(bins, dtype=np.float32))
        )
        offset = paddle.full([1], 0.5, "float64")  # the cell offset, a loop input as in the exported graph
        i = paddle.full([1], 0, "int64")
        n = paddle.cast(paddle.shape(cls_maps[0])[0:1], "int64")
        cond = paddle.less_than(i, n)
        boxes_arr = paddle.tensor.create_array("float32")
        scores_arr = paddle.tensor.create_array("float32")
        loop = While(cond)
        with loop.block():
            level_boxes, level_scores = [], []
            shp, sf = paddle.reshape(im_shape[i], [2]), paddle.reshape(scale_factor[i], [2])
            for stride, cls_map, box_map in zip(PICODET_STRIDES, cls_maps, box_maps, strict=True):
                h, w = cls_map.shape[1], cls_map.shape[2]
                ys = (paddle.arange(h, dtype="float32") + paddle.cast(offset, "float32")) * stride
                xs = (paddle.arange(w, dtype="float32") + paddle.cast(offset, "float32")) * stride
                yy, xx = paddle.meshgrid(ys, xs)
                centers = paddle.stack([paddle.flatten(xx), paddle.flatten(yy)], axis=-1)
                scores = paddle.reshape(cls_map[i], [-1, 1])
                dist = (
                    paddle.reshape(
                        _legacy_op(
                            "matmul_v2", {"X": F.softmax(paddle.reshape(box_map[i], [-1, bins]), axis=1), "Y": project}
                        ),
                        [-1, 4],
                    )
                    * stride
                )
                if h * w > PICODET_NMS_PRE:
                    _, top = paddle.topk(paddle.max(scores, axis=1), PICODET_NMS_PRE)
                    centers, dist, scores = (
                        paddle.gather(centers, top),
                        paddle.gather(dist, top),
                        paddle.gather(scores, top),
                    )
                x1 = paddle.clip(centers[:, 0] - dist[:, 0], 0.0, shp[1])
                y1 = paddle.clip(centers[:, 1] - dist[:, 1], 0.0, shp[0])
                x2 = paddle.clip(centers[:, 0] + dist[:, 2], 0.0, shp[1])
                y2 = paddle.clip(centers[:, 1] + dist[:, 3], 0.0, shp[0])
                level_boxes.append(paddle.stack([x1, y1, x2, y2], axis=-1))
                level_scores.append(scores)
            rev = paddle.reverse(sf, [0])
            boxes = paddle.concat(level_boxes) / paddle.concat([rev, rev])
            paddle.tensor.array_write(boxes, paddle.tensor.array_length(boxes_arr), boxes_arr)
            paddle.tensor.array_write(
                paddle.transpose(paddle.concat(level_scores), [1, 0]),
                paddle.tensor.array_length(scores_arr),
                scores_arr,
            )
            paddle.increment(i)
            paddle.assign(paddle.less_than(i, n), cond)
        all_boxes, _ = paddle.tensor.manipulation.tensor_array_to_tensor(boxes_arr, axis=0, use_stack=True)
        all_scores, _ = paddle.tensor.manipulation.tensor_array_to_tensor(scores_arr, axis=0, use_stack=True)
        helper = LayerHelper("multiclass_nms3")
        rows = helper.create_variable_for_type_inference("float32")
        index = helper.create_variable_for_type_inference("int32")
        counts = helper.create_variable_for_type_inference("int32")
        helper.append_op(
            type="multiclass_nms3",
            inputs={"BBoxes": all_boxes, "Scores": all_scores},
            attrs=dict(PICODET_NMS),
            outputs={"Out": rows, "Index": index, "NmsRoisNum": counts},
        )
        rows = paddle.scale(rows, 1.0)
        counts = paddle.scale(counts, 1.0)
    exe = paddle.static.Executor(paddle.CPUPlace())
    exe.run(start)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    paddle.static.save_inference_model(
        str(Path(out_dir) / "inference"), [image, im_shape, scale_factor], [rows, counts], exe, program=main
    )


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


def build_in_child(kind: str, out_dir: str | os.PathLike) -> None:
    """Build the ``kind`` ("legacy" or "pir") models into ``out_dir`` in a child interpreter:
    Paddle chooses the program IR once per process, by FLAGS_enable_pir_api."""
    env = {**os.environ, "FLAGS_enable_pir_api": "1" if kind == "pir" else "0"}
    command = [sys.executable, __file__, kind, str(out_dir)]
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"tiny_models.py {kind} failed:\n{proc.stderr[-3000:]}")


def legacy_model_settings(out_dir: Path) -> dict[str, str]:
    """The legacy models built into ``out_dir``, as the settings a server process reads."""
    build_in_child("legacy", out_dir)
    return {"SHITU_DET_MODEL_DIR": str(out_dir / "det_legacy"), "SHITU_REC_MODEL_DIR": str(out_dir / "rec_legacy")}


def main(argv: list[str]) -> None:
    import paddle

    kind, out = argv[1], argv[2]
    paddle.enable_static()
    build_detector(Path(out) / f"det_{kind}")
    build_extractor(Path(out) / f"rec_{kind}")
    if kind == "legacy":
        build_detector(Path(out) / "det_two_inputs", inputs=("image", "scale_factor"))
        build_picodet(Path(out) / "det_picodet")


if __name__ == "__main__":
    main(sys.argv)

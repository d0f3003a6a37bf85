"""OpenVINO versions of ``predictors.Detector`` and ``predictors.FeatureExtractor``.

Same interface and same results (``verify`` proves it): the detector runs the PicoDet graph
cut at its head (``graphs``) with a static 1x3x640x640 input and does the decoding and NMS
in numpy (``picodet``); the extractor runs the paddle2onnx export of the feature model.

Precision is pinned to f32: on CPUs with bf16 hardware OpenVINO would otherwise pick bf16 by
itself.  The extractor runs in bf16 only when asked (``bf16=True``, as the Paddle backend's
switch) and the CPU has it; its ``version`` then says so, so gallery vectors made in bf16 are
never mixed with f32 ones.  One ``CompiledModel`` is shared by the clones of a model (it is
thread-safe); each clone has its own infer request (which is not).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from .. import preprocess
from ..predictors import Detector, FeatureExtractor, ModelError, model_version
from . import graphs
from .picodet import HeadSpec, postprocess

NAME = "openvino"
_core = None
_core_lock = threading.Lock()


def core():
    """The process's ``openvino.Core`` (raises ``ModelError`` when OpenVINO is not installed)."""
    global _core
    with _core_lock:
        if _core is None:
            try:
                import openvino
            except ImportError as exc:
                raise ModelError(f"OpenVINO is not installed ({exc})") from exc
            _core = openvino.Core()
        return _core


def bf16_supported() -> bool:
    return "BF16" in core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


def runtime_version() -> str:
    import openvino

    return openvino.__version__


def _compile(model, threads: int, bf16: bool = False):
    config = {
        "INFERENCE_PRECISION_HINT": "bf16" if bf16 else "f32",
        "INFERENCE_NUM_THREADS": max(1, int(threads)),
        "NUM_STREAMS": 1,
        "PERFORMANCE_HINT": "LATENCY",
        # Pinned threads lose more than they gain when the cores are shared with other
        # processes (Celery workers, the web process, faiss): let the OS place them.
        "ENABLE_CPU_PINNING": False,
    }
    try:
        return core().compile_model(model, "CPU", config)
    except RuntimeError as exc:
        raise ModelError(f"OpenVINO cannot compile the model: {exc}") from exc


def _read(path: Path):
    try:
        return core().read_model(str(path))
    except RuntimeError as exc:
        raise ModelError(f"OpenVINO cannot read {path}: {exc}") from exc


def _normalising(model, input_name: str):
    """The model with the reference normalisation in front: it takes the resized uint8 NHWC
    images and does ``(x / 255 - MEAN) / STD`` and HWC -> CHW itself, fused into its graph
    (one pass fewer over every pixel in numpy)."""
    from openvino import Layout, Type
    from openvino.preprocess import PrePostProcessor

    ppp = PrePostProcessor(model)
    step = ppp.input(input_name)
    step.tensor().set_element_type(Type.u8).set_layout(Layout("NHWC"))
    step.model().set_layout(Layout("NCHW"))
    step.preprocess().convert_element_type(Type.f32).mean([255.0 * float(m) for m in preprocess.MEAN]).scale(
        [255.0 * float(s) for s in preprocess.STD]
    )
    return ppp.build()


class OpenVINODetector(Detector):
    """PicoDet mainbody detector on OpenVINO; ``detect``/``prepare``/``detect_prepared`` as ``Detector``."""

    backend = NAME

    def __init__(self, model_dir, *, threads: int = 1, size: int = preprocess.DET_SIZE, cache_dir=None, _shared=None):
        self.model_dir = Path(model_dir)
        self.threads, self.size, self.cache_dir = threads, size, cache_dir
        self.mkldnn, self.bf16, self.format = False, False, "openvino"
        if _shared is None:
            cut = graphs.ensure_converted(self.model_dir, "picodet_cut", cache_dir)
            spec = HeadSpec.load(cut / graphs.HEAD_SPEC)
            model = _read(cut / graphs.CUT_GRAPH)
            _shared = {"spec": spec, "model": model, "compiled": {}, "lock": threading.Lock()}
            _shared["version"] = model_version(self.model_dir)
        self._shared = _shared
        self.spec: HeadSpec = _shared["spec"]
        self.version: str = _shared["version"]
        self.input_names = ["image", "im_shape", "scale_factor"]
        self._requests: dict[int, object] = {}

    def clone(self) -> OpenVINODetector:
        return OpenVINODetector(
            self.model_dir, threads=self.threads, size=self.size, cache_dir=self.cache_dir, _shared=self._shared
        )

    def _request(self, n: int):
        """This instance's infer request for a batch of ``n`` (one static-shape compile per n, shared)."""
        request = self._requests.get(n)
        if request is None:
            shared = self._shared
            with shared["lock"]:
                compiled = shared["compiled"].get(n)
                if compiled is None:
                    model = shared["model"].clone()
                    model.reshape({"image": [n, 3, self.size, self.size]})
                    compiled = shared["compiled"][n] = _compile(_normalising(model, "image"), self.threads)
            request = self._requests[n] = compiled.create_infer_request()
        return request

    def prepare(self, images: list[np.ndarray]) -> dict[str, np.ndarray]:
        """Resized uint8 images (the graph normalises them) plus ``im_shape`` and ``scale_factor``."""
        batch = preprocess.resized_batch(images, self.size, preprocess.DET_INTERPOLATION)
        return {"image": batch, **preprocess.detector_sizes(images, self.size)}

    def detect_prepared(self, inputs: dict[str, np.ndarray], n: int) -> list[np.ndarray]:
        request = self._request(n)
        request.infer({"image": inputs["image"]})
        heads = {}
        for output in request.model_outputs:
            tensor = request.get_tensor(output).data
            for name in output.get_names():
                heads[name] = tensor
        missing = [name for name in self.spec.output_names if name not in heads]
        if missing:
            raise ModelError(f"{self.model_dir}: the cut graph lacks the head outputs {missing}")
        return postprocess(self.spec, heads, inputs["im_shape"], inputs["scale_factor"])


class OpenVINOFeatureExtractor(FeatureExtractor):
    """PP-LCNetV2 feature extractor on OpenVINO; ``embed``/``prepare``/``embed_prepared`` as ``FeatureExtractor``."""

    backend = NAME

    def __init__(
        self,
        model_dir,
        *,
        threads: int = 1,
        bf16: bool = False,
        max_batch: int = 32,
        size: int = preprocess.REC_SIZE,
        cache_dir=None,
        _shared=None,
    ):
        self.model_dir = Path(model_dir)
        self.threads, self.size, self.cache_dir = threads, size, cache_dir
        self.max_batch = max(1, int(max_batch))
        self.mkldnn, self.format = False, "openvino"
        if _shared is None:
            onnx = graphs.ensure_converted(self.model_dir, "onnx", cache_dir) / graphs.ONNX_FILE
            use_bf16 = bool(bf16) and bf16_supported()
            model = _read(onnx)
            if len(model.inputs) != 1:
                raise ModelError(f"{model_dir}: a feature extractor has one input, this one has {len(model.inputs)}")
            version = model_version(self.model_dir) + ("+bf16" if use_bf16 else "")
            model = _normalising(model, model.inputs[0].get_any_name())
            _shared = {"compiled": _compile(model, threads, use_bf16), "bf16": use_bf16, "version": version}
        self._shared = _shared
        self.bf16: bool = _shared["bf16"]
        self.version: str = _shared["version"]
        self._request = _shared["compiled"].create_infer_request()
        self.input_names = [_shared["compiled"].inputs[0].get_any_name()]
        self.dim = _shared.get("dim") or int(self.embed_prepared(np.zeros((1, size, size, 3), np.uint8)).shape[1])
        _shared["dim"] = self.dim

    def clone(self) -> OpenVINOFeatureExtractor:
        twin = object.__new__(OpenVINOFeatureExtractor)
        twin.__init__(
            self.model_dir,
            threads=self.threads,
            max_batch=self.max_batch,
            size=self.size,
            cache_dir=self.cache_dir,
            _shared=self._shared,
        )
        return twin

    def prepare(self, crops: list[np.ndarray]) -> np.ndarray:
        """[N, size, size, 3] uint8 resized crops (the graph normalises them)."""
        return preprocess.resized_batch(crops, self.size, preprocess.REC_INTERPOLATION)

    def _run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        self._request.infer({self.input_names[0]: np.ascontiguousarray(feeds[self.input_names[0]])})
        return [self._request.get_output_tensor(0).data]

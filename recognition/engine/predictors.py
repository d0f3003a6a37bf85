"""Paddle Inference wrappers: ``Detector`` (PicoDet mainbody) and ``FeatureExtractor`` (PP-LCNetV2).

Both load either on-disk format: the legacy program ``inference.pdmodel`` or the Paddle 3
PIR program ``inference.json`` (each with ``inference.pdiparams``).  Inputs are fed by the
names the model declares, so a detector declaring only ``image`` and ``scale_factor`` works.
A Paddle predictor is not thread-safe: use one instance per thread (``recognition.engine.runner``
runs them all on one engine thread); ``clone()`` gives a freshly created one with the same settings.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import threading
from pathlib import Path

import numpy as np

from . import preprocess
from .paddle_import import import_paddle

GRAPH_FILES = ("inference.json", "inference.pdmodel")
PARAMS_FILE = "inference.pdiparams"

_hash_cache: dict[tuple[str, int, int], str] = {}
_hash_lock = threading.Lock()


class ModelError(RuntimeError):
    """A model folder is missing, incomplete or not loadable."""


def find_model_files(model_dir: str | os.PathLike) -> tuple[Path, Path, str]:
    """(graph file, params file, format) of a model folder; format is "pir" or "legacy"."""
    folder = Path(model_dir)
    if not folder.is_dir():
        raise ModelError(f"model folder not found: {folder}")
    params = folder / PARAMS_FILE
    for name in GRAPH_FILES:
        graph = folder / name
        if graph.is_file():
            if not params.is_file():
                raise ModelError(f"{folder}: {name} present but {PARAMS_FILE} missing")
            return graph, params, "pir" if name.endswith(".json") else "legacy"
    raise ModelError(f"{folder}: no inference.pdmodel or inference.json (is this a Paddle inference folder?)")


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def model_version(model_dir: str | os.PathLike) -> str:
    """``<folder name>@<first 12 hex of sha256(inference.pdiparams)>``: changes when the weights do."""
    _, params, _ = find_model_files(model_dir)
    st = params.stat()
    key = (str(params.resolve()), st.st_size, st.st_mtime_ns)
    with _hash_lock:
        if key not in _hash_cache:
            _hash_cache[key] = file_sha256(params)[:12]
        return f"{Path(model_dir).resolve().name}@{_hash_cache[key]}"


@contextlib.contextmanager
def _stdout_to_stderr():
    """Send native writes to fd 1 (oneDNN pass reports, ...) to stderr while a predictor is built,
    so stdout stays clean for JSON output.  Process-wide for the duration, hence the lock."""
    with _fd_lock:
        try:
            sys.stdout.flush()
            saved = os.dup(1)
        except (OSError, ValueError):  # no usable fd 1 (daemonised): nothing to protect
            yield
            return
        try:
            os.dup2(2, 1)
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


_fd_lock = threading.Lock()


def bf16_supported() -> bool:
    """True when this CPU has native bfloat16 (AVX512-BF16/AMX) for oneDNN."""
    return bool(import_paddle().base.core.supports_bfloat16_fast_performance())


def _create_predictor(model_dir, threads: int, mkldnn: bool, bf16: bool = False):
    # Paddle's Intel OpenMP keeps its threads spinning 200 ms after each parallel region,
    # stealing the cores faiss, OpenCV and the decoder need right after a forward pass on a
    # small machine.  1 ms still covers the gaps between the ops of one pass.  Read when the
    # OpenMP runtime starts; an operator's own KMP_BLOCKTIME wins.
    os.environ.setdefault("KMP_BLOCKTIME", "1")
    paddle_infer = import_paddle().inference

    graph, params, fmt = find_model_files(model_dir)
    config = paddle_infer.Config(str(graph), str(params))
    config.disable_gpu()
    config.disable_glog_info()
    config.switch_ir_optim(True)
    config.set_cpu_math_library_num_threads(max(1, int(threads)))
    if mkldnn:
        config.enable_mkldnn()
        if bf16:
            config.enable_mkldnn_bfloat16()
    if fmt == "legacy":
        # Fails on PIR graphs in paddlepaddle 3.3 ("Not find predictor_id"), fine on legacy ones.
        config.enable_memory_optim()
    try:
        with _stdout_to_stderr():
            return paddle_infer.create_predictor(config), fmt
    except Exception as exc:
        raise ModelError(f"cannot load the Paddle model in {model_dir}: {exc}") from exc


class _PaddleModel:
    backend = "paddle"

    def __init__(self, model_dir, *, threads: int = 1, mkldnn: bool = True, bf16: bool = False):
        self.model_dir = Path(model_dir)
        self.threads = threads
        self.mkldnn = mkldnn
        self.bf16 = bool(bf16 and mkldnn)
        self._predictor, self.format = _create_predictor(model_dir, threads, mkldnn, self.bf16)
        # The numerics belong to the version stored with gallery vectors: bf16 ones are not
        # mixed with f32 ones (f32 on any backend is one version: proven equal, backends/verify).
        self.version = model_version(model_dir) + ("+bf16" if self.bf16 else "")
        self.input_names: list[str] = list(self._predictor.get_input_names())
        self.output_names: list[str] = list(self._predictor.get_output_names())
        self._inputs = {name: self._predictor.get_input_handle(name) for name in self.input_names}
        self._outputs = [self._predictor.get_output_handle(name) for name in self.output_names]

    def clone(self):
        """A new instance with the same settings, for another thread: a freshly created predictor.

        Not Paddle's ``predictor.clone()``: with oneDNN its clones share weight tensors whose
        layout the first run converts, and a clone run on another thread then fails.
        """
        raise NotImplementedError

    def _run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        for name, handle in self._inputs.items():
            if name not in feeds:
                raise ModelError(f"{self.model_dir}: the model declares an input {name!r} we cannot provide")
            array = feeds[name]
            handle.reshape(list(array.shape))
            handle.copy_from_cpu(array)
        self._predictor.run()
        return [handle.copy_to_cpu() for handle in self._outputs]


class Detector(_PaddleModel):
    """PicoDet mainbody detector.

    ``Detector(model_dir, *, threads)``; ``detect(images)`` takes RGB uint8 HxWx3 arrays and
    returns, per image, the raw rows ``[class, score, x1, y1, x2, y2]`` (float32, original
    pixels, not clamped, in the model's order).  ``detect_prepared(inputs, n)`` runs on the
    output of ``preprocess.detector_inputs`` (so the caller can time the two stages).
    """

    def __init__(self, model_dir, *, threads: int = 1, mkldnn: bool = True, size: int = preprocess.DET_SIZE, **kw):
        super().__init__(model_dir, threads=threads, mkldnn=mkldnn, **kw)
        self.size = size
        if "image" not in self.input_names:
            raise ModelError(f"{model_dir}: a detector must declare an 'image' input, it declares {self.input_names}")

    def clone(self) -> Detector:
        return Detector(self.model_dir, threads=self.threads, mkldnn=self.mkldnn, size=self.size)

    def prepare(self, images: list[np.ndarray]) -> dict[str, np.ndarray]:
        return preprocess.detector_inputs(images, self.size)

    def detect(self, images: list[np.ndarray]) -> list[np.ndarray]:
        if not images:
            return []
        return self.detect_prepared(self.prepare(images), len(images))

    def detect_prepared(self, inputs: dict[str, np.ndarray], n: int) -> list[np.ndarray]:
        outputs = self._run(inputs)
        boxes = counts = None
        for arr in outputs:
            if arr.ndim == 2 and arr.shape[1] == 6 and boxes is None:
                boxes = arr.astype(np.float32, copy=False)
            elif arr.ndim == 1 and np.issubdtype(arr.dtype, np.integer) and counts is None:
                counts = arr
        if boxes is None:
            raise ModelError(f"{self.model_dir}: no [M, 6] box output among {[a.shape for a in outputs]}")
        if counts is None:
            if n != 1:
                raise ModelError(f"{self.model_dir}: no boxes-per-image output; cannot split a batch of {n}")
            counts = np.array([len(boxes)])
        if int(counts.sum()) != len(boxes) or len(counts) != n:
            raise ModelError(f"{self.model_dir}: boxes-per-image {counts.tolist()} do not match {len(boxes)} rows")
        return np.split(boxes, np.cumsum(counts)[:-1].astype(np.int64))


class FeatureExtractor(_PaddleModel):
    """PP-LCNetV2 feature extractor.

    ``FeatureExtractor(model_dir, *, threads, max_batch=32)``; ``embed(crops)`` takes RGB
    uint8 crops (views are fine) and returns float32 [n, dim] L2-normalised rows, in one
    batched forward pass (chunked only above ``max_batch``).  ``bf16=True`` runs oneDNN in
    bfloat16 on CPUs that have it (features within cosine 0.9997 of float32 on the real
    model, forward up to twice as fast; not for the detector, whose scores it quantises).
    ``version`` names the model
    (folder + short sha256 of its weights); ``dim`` is the feature size (512).
    """

    def __init__(
        self,
        model_dir,
        *,
        threads: int = 1,
        mkldnn: bool = True,
        max_batch: int = 32,
        size: int = preprocess.REC_SIZE,
        **kw,
    ):
        super().__init__(model_dir, threads=threads, mkldnn=mkldnn, **kw)
        if len(self.input_names) != 1:
            raise ModelError(f"{model_dir}: a feature extractor has one input, this one declares {self.input_names}")
        self.size = size
        self.max_batch = max(1, int(max_batch))
        self._buffer = np.empty((self.max_batch, 3, size, size), dtype=np.float32)
        self.dim = int(self.embed_prepared(np.zeros((1, 3, size, size), np.float32)).shape[1])

    def clone(self) -> FeatureExtractor:
        return FeatureExtractor(
            self.model_dir,
            threads=self.threads,
            mkldnn=self.mkldnn,
            bf16=self.bf16,
            max_batch=self.max_batch,
            size=self.size,
        )

    def prepare(self, crops: list[np.ndarray]) -> np.ndarray:
        if len(crops) <= self.max_batch:
            return preprocess.extractor_batch(crops, self.size, out=self._buffer)
        return preprocess.extractor_batch(crops, self.size)

    def embed(self, crops: list[np.ndarray]) -> np.ndarray:
        if not crops:
            return np.zeros((0, getattr(self, "dim", 0)), np.float32)
        return self.embed_prepared(self.prepare(crops))

    def embed_prepared(self, batch: np.ndarray) -> np.ndarray:
        parts = []
        for start in range(0, len(batch), self.max_batch):
            (features, *_) = self._run({self.input_names[0]: batch[start : start + self.max_batch]})
            parts.append(features.reshape(len(features), -1))
        feats = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return l2_normalize(feats.astype(np.float32, copy=False))


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.maximum(norms, 1e-12, out=norms)
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)

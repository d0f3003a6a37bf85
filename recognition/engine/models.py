"""One options object for the predictors and one ``build_models()`` for every caller.

The runtime (web and Celery processes), the ``shitu`` CLI and the gallery embedder all build
their detector and feature extractor here, so a backend, a thread count or bf16 is chosen in
one place (after PaddleX's ``pp_option``).  ``InferenceOptions.backend`` picks the inference
library; a backend is a pair of factories registered with ``register_backend``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .paddle_import import keeping_signal_handlers
from .predictors import ModelError


@dataclass(frozen=True)
class InferenceOptions:
    """How predictors run: which backend on which device, CPU threads, oneDNN, bf16, batch chunk.

    ``threads`` are the math threads of one predictor; ``max_batch`` bounds one forward pass
    of the feature extractor (larger crop lists are chunked); ``bf16`` applies to the
    extractor only (it quantises the detector's scores).  ``extra`` carries backend-specific
    knobs (e.g. an OpenVINO cache folder) that other backends ignore.  No defaults here: the
    product's are the ``SHITU_*`` settings (``recognition.conf.inference_options()``).
    """

    backend: str  # "paddle", or one registered with ``register_backend``
    device: str  # "cpu"
    threads: int
    mkldnn: bool
    bf16: bool
    max_batch: int
    extra: dict[str, Any] = field(default_factory=dict)

    def with_(self, **changes) -> InferenceOptions:
        """A copy with the given fields changed (``None`` values leave a field as it is)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


@dataclass
class Models:
    """A detector and a feature extractor that belong to one thread (predictors are not thread-safe)."""

    detector: Any
    extractor: Any
    options: InferenceOptions

    def warm_up(self) -> None:
        """One throw-away pass of each model: the first forward of a predictor is several times
        slower than the next ones (oneDNN creates its kernels), and a customer should not pay it."""
        image = np.full((480, 640, 3), 127, np.uint8)
        if self.detector is not None:
            self.detector.detect([image])
        if self.extractor is not None:
            self.extractor.embed([image] * min(5, self.extractor.max_batch))


DetectorFactory = Callable[[Path, InferenceOptions], Any]
ExtractorFactory = Callable[[Path, InferenceOptions], Any]
_BACKENDS: dict[str, tuple[DetectorFactory, ExtractorFactory]] = {}


def register_backend(name: str, detector: DetectorFactory, extractor: ExtractorFactory) -> None:
    """Make ``InferenceOptions(backend=name)`` build its models with these two factories.

    Each factory takes (model folder, options) and returns an object with the interface of
    ``predictors.Detector`` / ``predictors.FeatureExtractor`` (``detect``/``prepare``/
    ``detect_prepared``; ``embed``/``prepare``/``embed_prepared``, ``dim``, ``version``,
    ``max_batch``).
    """
    _BACKENDS[name] = (detector, extractor)


def backends() -> list[str]:
    return sorted(_BACKENDS)


def _factories(options: InferenceOptions) -> tuple[DetectorFactory, ExtractorFactory]:
    try:
        return _BACKENDS[options.backend]
    except KeyError:
        raise ModelError(f"unknown inference backend {options.backend!r}; known: {', '.join(backends())}") from None


def _require_folder(name: str, folder: str | os.PathLike | None) -> Path:
    if folder is None or not Path(folder).is_dir():
        raise ModelError(f"{name} model folder {folder} not found: run `manage.py shitu fetch-models`")
    return Path(folder)


def build_detector(folder: str | os.PathLike | None, options: InferenceOptions):
    return _factories(options)[0](_require_folder("detector", folder), options)


def build_extractor(folder: str | os.PathLike | None, options: InferenceOptions):
    return _factories(options)[1](_require_folder("extractor", folder), options)


def build_models(
    detector_dir: str | os.PathLike | None,
    extractor_dir: str | os.PathLike | None,
    options: InferenceOptions,
    *,
    detector: bool = True,
    extractor: bool = True,
    warm_up: bool = False,
) -> Models:
    """Fresh predictors (never clones) for the calling thread; optionally warmed up.

    ``detector=False`` / ``extractor=False`` skip a model a caller does not need (the CLI's
    ``embed`` has no detector).  Raises ``ModelError`` naming a missing or broken folder.
    """
    with keeping_signal_handlers():  # Paddle's first calls take SIGTERM from Celery and gunicorn
        models = Models(
            build_detector(detector_dir, options) if detector else None,
            build_extractor(extractor_dir, options) if extractor else None,
            options,
        )
        if warm_up:
            models.warm_up()
    return models


def _paddle_cpu(options: InferenceOptions) -> None:
    if options.device != "cpu":
        raise ModelError(f"the paddle backend runs on the CPU here, not on {options.device!r}")


def _paddle_detector(folder: Path, options: InferenceOptions):
    from .predictors import Detector

    _paddle_cpu(options)
    return Detector(folder, threads=options.threads, mkldnn=options.mkldnn)


def _paddle_extractor(folder: Path, options: InferenceOptions):
    from .predictors import FeatureExtractor

    _paddle_cpu(options)
    return FeatureExtractor(
        folder, threads=options.threads, mkldnn=options.mkldnn, bf16=options.bf16, max_batch=options.max_batch
    )


register_backend("paddle", _paddle_detector, _paddle_extractor)


def _register_other_backends() -> None:
    from . import backends

    backends.register(register_backend)


_register_other_backends()

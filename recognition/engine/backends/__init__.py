"""Inference backends beside Paddle Inference, and the choice between them.

``paddle`` is the reference (``predictors``); ``openvino`` runs the same models faster on
CPU (``openvino_models``).  ``auto`` (the default of ``SHITU_BACKEND``) picks, per model, the
fastest backend that ``verify`` proves equal to Paddle on this machine, else Paddle with the
reason logged.  The choice is measured once and kept in a small JSON file beside the
converted graphs, keyed by the model's hash, this machine (CPU, cores, threads) and the
runtime versions; ``shitu verify-backend`` measures it again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..predictors import Detector, FeatureExtractor, ModelError
from . import graphs

if TYPE_CHECKING:
    from ..models import InferenceOptions

logger = logging.getLogger(__name__)

AUTO, PADDLE, OPENVINO = "auto", "paddle", "openvino"
BACKENDS = (PADDLE, OPENVINO)  # concrete ones; AUTO picks among them
KINDS = ("detector", "extractor")
CHOICE_VERSION = "1"


CONVERT_CACHE = "convert_cache"  # InferenceOptions.extra key: converted graphs of read-only model folders


def _cache_dir(options: InferenceOptions) -> str | None:
    return options.extra.get(CONVERT_CACHE)


def build(kind: str, backend: str, folder, options: InferenceOptions):
    """A detector or feature extractor of ``folder`` on a concrete ``backend``."""
    if kind not in KINDS:
        raise ValueError(kind)
    if options.device != "cpu":
        raise ModelError(f"the {backend} backend runs on the CPU here, not on {options.device!r}")
    if backend == PADDLE:
        if kind == "detector":
            return Detector(folder, threads=options.threads, mkldnn=options.mkldnn)
        return FeatureExtractor(
            folder, threads=options.threads, mkldnn=options.mkldnn, bf16=options.bf16, max_batch=options.max_batch
        )
    if backend == OPENVINO:
        from .openvino_models import OpenVINODetector, OpenVINOFeatureExtractor

        if kind == "detector":
            return OpenVINODetector(folder, threads=options.threads, cache_dir=_cache_dir(options))
        return OpenVINOFeatureExtractor(
            folder,
            threads=options.threads,
            bf16=options.bf16,
            max_batch=options.max_batch,
            cache_dir=_cache_dir(options),
        )
    raise ModelError(f"unknown inference backend {backend!r}; known: {', '.join((AUTO, *BACKENDS))}")


@dataclass
class Choice:
    backend: str
    reason: str
    check: dict | None = None  # verify.CheckResult.to_dict() when a candidate was measured


_choices: dict[tuple, Choice] = {}
_choice_lock = threading.Lock()


def _machine_key(options: InferenceOptions) -> str:
    versions = []
    for module in ("paddle", "openvino"):
        try:
            versions.append(__import__(module).__version__)
        except ImportError:
            versions.append("-")
    from ..bench import cpu_model

    text = "|".join(
        [cpu_model(), str(os.cpu_count()), str(options.threads), str(options.mkldnn), str(options.bf16), *versions]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _choice_file(kind: str, folder, options: InferenceOptions) -> Path:
    where = graphs.converted_dir(folder, "onnx", _cache_dir(options)).parent
    name = f"choice-{kind}-v{CHOICE_VERSION}-{graphs.source_key(folder)}-{_machine_key(options)}.json"
    return where / name


def measure(kind: str, folder, options: InferenceOptions, candidates=None, runs: int = 5) -> Choice:
    """Build Paddle and each candidate, check them equal, time them; the fastest equal one wins."""
    from . import verify

    reference = build(kind, PADDLE, folder, options)
    candidates = candidates or [b for b in BACKENDS if b != PADDLE]
    best, reasons, check = Choice(PADDLE, "no faster backend passed the checks"), [], None
    for backend in candidates:
        try:
            candidate = build(kind, backend, folder, options)
            check_fn = verify.verify_detector if kind == "detector" else verify.verify_extractor
            result = check_fn(reference, candidate, runs=runs)
        except (ModelError, RuntimeError, ValueError) as exc:
            reasons.append(f"{backend} not usable: {exc}")
            continue
        check = result.to_dict()
        if not result.equal:
            reasons.append(f"{backend} differs from paddle: {result.detail}")
        elif result.ratio >= 1.0:
            reasons.append(f"{backend} is equal but not faster ({result.ratio:.2f}x paddle's time)")
        else:
            best = Choice(backend, f"equal to paddle ({result.detail}), {result.ratio:.2f}x its time", check)
    if best.backend == PADDLE:
        best = Choice(PADDLE, "; ".join(reasons) or best.reason, check)
    return best


def choose(
    kind: str, folder, options: InferenceOptions, *, remeasure: bool = False, candidates=None, runs: int = 5
) -> Choice:
    """The backend ``auto`` uses for this model here: remembered in memory and on disk.

    ``remeasure`` (``shitu verify-backend``) checks and times again and keeps the new choice.
    """
    key = (kind, str(Path(folder).resolve()), options.threads, options.mkldnn, options.bf16, _cache_dir(options))
    with _choice_lock:
        if not remeasure and key in _choices:
            return _choices[key]
        path = _choice_file(kind, folder, options)
        choice = None
        if not remeasure and path.is_file():
            try:
                data = json.loads(path.read_text())
                choice = Choice(data["backend"], data["reason"], data.get("check"))
            except (ValueError, KeyError):
                choice = None
        if choice is None:
            choice = measure(kind, folder, options, candidates, runs)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(choice.__dict__, indent=2) + "\n")
            tmp.replace(path)
        log = logger.info if choice.backend != PADDLE else logger.warning
        log("%s %s: backend %s (%s)", kind, Path(folder).name, choice.backend, choice.reason)
        _choices[key] = choice
        return choice


def build_for(kind: str, backend: str, folder, options: InferenceOptions):
    """``build`` with ``auto`` resolved to this machine's choice for the model."""
    if backend == AUTO:
        backend = choose(kind, folder, options).backend
    return build(kind, backend, folder, options)


def register(register_backend) -> None:
    """Plug ``openvino`` and ``auto`` into ``models.register_backend``."""
    for name in (OPENVINO, AUTO):
        register_backend(
            name,
            lambda folder, options, name=name: build_for("detector", name, folder, options),
            lambda folder, options, name=name: build_for("extractor", name, folder, options),
        )

"""Loading a model keeps the process's own signal handlers (recognition/engine/paddle_import.py).

Run in a child interpreter: Paddle can be imported only once per process, and the test suite
has imported it long before.  The child sets a Python SIGTERM handler, as Celery and gunicorn
do, builds and warms the models on another thread, as the engine thread does (``auto``: with
the backend checks, which is where Paddle takes SIGTERM a second time), and signals itself."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.recognition.conftest import models  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import os, signal, sys, threading, time
    from recognition.engine.models import InferenceOptions, build_models

    seen = []
    signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(signum))
    options = InferenceOptions(backend=sys.argv[3], device="cpu", threads=1, mkldnn=True, bf16=False, max_batch=8)
    build = lambda: build_models(sys.argv[1], sys.argv[2], options, warm_up=True)  # noqa: E731
    loader = threading.Thread(target=build)
    loader.start()
    loader.join()
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.2)
    try:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)
    except KeyboardInterrupt:
        seen.append("KeyboardInterrupt")
    print("SEEN", seen, flush=True)
    """
)


@pytest.mark.parametrize("backend", ["paddle", "auto"])
def test_models_built_on_another_thread_leave_sigterm_and_sigint_to_the_process(models, backend):  # noqa: F811
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(models["det_legacy"]), str(models["rec_legacy"]), backend],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stdout + child.stderr
    assert "SEEN [15, 'KeyboardInterrupt']" in child.stdout
    assert "Termination signal" not in child.stderr

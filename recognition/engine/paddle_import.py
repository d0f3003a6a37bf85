"""Use Paddle without letting it take over the process's signal handlers.

``import paddle``, and again some of its first calls (building the models with the backend
checks, here), install C++ handlers for SIGTERM and the crash signals, replacing whatever the
process had set.  In a Celery worker that is the warm-shutdown handler,
in gunicorn the graceful stop, in the dev server Python's own: after the first model loads, a
plain ``kill`` (systemd's, Kubernetes', Celery's own ``--time-limit`` restarts) aborts mid-task
with Paddle's "FatalError: Termination signal" instead of finishing the task and exiting.
The models may load on any thread (the engine thread), where Python cannot reinstall a handler,
so the C-level actions are saved before the import and the model build and put back after
them (``keeping_signal_handlers``), on any thread.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

# The signals Paddle's C++ handler takes (SIGTERM and the crash signals), and SIGINT.
_SIGNALS = tuple(
    getattr(signal, name)
    for name in ("SIGTERM", "SIGINT", "SIGSEGV", "SIGILL", "SIGFPE", "SIGABRT", "SIGBUS")
    if hasattr(signal, name)
)
_SIGACTION_SIZE = 256  # larger than glibc's and musl's ``struct sigaction`` (152 bytes on x86-64)
_lock = threading.Lock()
_paddle: ModuleType | None = None


def import_paddle() -> ModuleType:
    """``paddle``, imported once with the process's own signal handlers kept."""
    global _paddle
    with _lock:
        if _paddle is None:
            with keeping_signal_handlers():
                import paddle
            _paddle = paddle
        return _paddle


@contextmanager
def keeping_signal_handlers() -> Iterator[None]:
    """Whatever Paddle installs for the signals it takes inside the block is undone after it."""
    saved = _save_actions()
    try:
        yield
    finally:
        if saved is not None:
            _restore_actions(saved)
        elif "paddle" in sys.modules:  # no libc sigaction: at least no abort on SIGTERM
            sys.modules["paddle"].disable_signal_handler()


@functools.cache
def _libc():
    """libc with ``sigaction``, looked up once (``find_library`` runs ``ldconfig``), or None."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        return libc if hasattr(libc, "sigaction") else None
    except OSError:
        return None


def _save_actions() -> dict[int, ctypes.Array] | None:
    libc = _libc()
    if libc is None:
        return None
    saved = {}
    for signum in _SIGNALS:
        action = ctypes.create_string_buffer(_SIGACTION_SIZE)
        if libc.sigaction(signum, None, action) != 0:
            return None
        saved[signum] = action
    return saved


def _restore_actions(saved: dict[int, ctypes.Array]) -> None:
    libc = _libc()
    for signum, action in saved.items():
        libc.sigaction(signum, action, None)

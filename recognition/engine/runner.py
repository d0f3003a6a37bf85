"""``EngineThread``: one thread per process owns the predictors; every model call is handed to it.

Paddle predictors are not thread-safe, and with oneDNN a ``clone()`` run on a second thread
fails once the first has run (paddlepaddle 3.3: "The Filter tensor's layout should be
ONEDNN, but got NCHW" in ``fused_conv2d``).  Web servers and Celery pools run requests on
many threads, some made per request (Django's dev server), so the predictors live on one
engine thread that builds them, warms them and runs every job; request threads decode the
photo and wait for their job.  On a small CPU that costs nothing: a forward pass already
uses every core, so two passes at once only share them (docs/benchmarks.md, thread model).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

M = TypeVar("M")
T = TypeVar("T")


class EngineThread(Generic[M]):
    """``EngineThread(build)``; ``run(fn)`` calls ``fn(models)`` on the engine thread and returns its result.

    ``build()`` runs on the engine thread at its first job; when it raises (models missing),
    that job gets the exception and the next job builds again, so models that appear later
    are picked up without a restart.  Jobs run one at a time, in the order they came.  A
    job that calls ``run`` from the engine thread itself runs inline (no deadlock).
    """

    def __init__(self, build: Callable[[], M], *, name: str = "shitu-engine"):
        self._build = build
        self._jobs: queue.SimpleQueue[tuple[Callable[[M], object], Future] | None] = queue.SimpleQueue()
        self._models: M | None = None
        self.pid = os.getpid()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    @property
    def models(self) -> M | None:
        """The models once built (for inspection; call them only through ``run``)."""
        return self._models

    def submit(self, fn: Callable[[M], T]) -> Future[T]:
        future: Future[T] = Future()
        if not self._thread.is_alive():
            future.set_exception(RuntimeError("the recognition engine thread has stopped"))
            return future
        self._jobs.put((fn, future))
        return future

    def run(self, fn: Callable[[M], T], timeout: float | None = None) -> T:
        """``fn(models)`` on the engine thread; raises what ``fn`` or ``build`` raised.

        On ``timeout`` (seconds) a job that has not started yet is cancelled and
        ``TimeoutError`` is raised; one already running finishes on its own.
        """
        if threading.current_thread() is self._thread:
            return fn(self._ensure_models())
        future = self.submit(fn)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def close(self, timeout: float | None = 5.0) -> None:
        """Stop after the queued jobs (tests; a process that is done recognising)."""
        self._jobs.put(None)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _ensure_models(self) -> M:
        if self._models is None:
            self._models = self._build()
        return self._models

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            fn, future = job
            if not future.set_running_or_notify_cancel():
                continue  # the caller gave up waiting before the job started
            try:
                result = fn(self._ensure_models())
            except BaseException as exc:  # handed to the caller, who decides
                future.set_exception(exc)
            else:
                future.set_result(result)
            del job, fn, future  # the engine thread keeps no reference to a finished job's data

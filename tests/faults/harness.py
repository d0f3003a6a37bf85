"""Real processes for the fault tests: a private redis-server on a free port (the shared one on
6379 is never touched), a gunicorn web server, Celery workers, and ways to break them."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, timeout: float, what: str, interval: float = 0.1):
    """Poll ``condition`` until it returns something truthy; that value, or AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class OwnRedis:
    """A throw-away redis-server: frozen with SIGSTOP, killed, started again on the same port."""

    def __init__(self, log_dir: Path):
        self.port = free_port()
        self.log = log_dir / f"redis-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> OwnRedis:
        cmd = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(cmd, stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        wait_until(self.answers, 10, f"redis-server on port {self.port}")
        return self

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def freeze(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """Gone at once, with everything in it (queues, unacked messages, cache)."""
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.thaw()
            self.kill()


class Blackhole:
    """A TCP port that completes connections and never answers: a frozen server, as clients see it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)  # never accepted: the kernel queues the connections, nobody reads
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()


class Server:
    """``gunicorn smart_container.wsgi`` on a free port, as in production."""

    def __init__(self, env: dict[str, str], log_dir: Path, workers: int = 2, name: str = "gunicorn", healthy=True):
        self.log = log_dir / f"{name}.log"
        cmd = [sys.executable, "-m", "gunicorn", "smart_container.wsgi", "-b", "127.0.0.1:0", "-w", str(workers)]
        cmd += ["--timeout", "30", "--graceful-timeout", "5"]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        found = wait_until(
            lambda: self.proc.poll() is None and re.search(r"Listening at: (http://\S+)", self.log.read_text()),
            60,
            f"gunicorn to listen (log: {self.log})",
        )
        self.url = found.group(1)
        if healthy:
            wait_until(lambda: self._get("/healthz").status_code == 200, 60, "the server's /healthz")
        else:  # answering at all: its workers have booted
            wait_until(lambda: isinstance(self._get("/healthz").status_code, int), 60, "the server to answer")

    def _get(self, path: str):
        try:
            return requests.get(self.url + path, timeout=5)
        except requests.RequestException as exc:
            return type("Down", (), {"status_code": str(exc)})()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def kill9(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


class ProductLock:
    """Holds ``catalog_product`` in ACCESS EXCLUSIVE mode from a separate connection, so a
    recognition task blocks right after inference, when it prices the cart: "mid-task"."""

    def __init__(self, dsn: dict):
        self.dsn = dsn
        self.conn: psycopg.Connection | None = None
        self.observer: psycopg.Connection | None = None

    def __enter__(self) -> ProductLock:
        self.conn = psycopg.connect(**self.dsn)
        self.conn.execute("LOCK TABLE catalog_product IN ACCESS EXCLUSIVE MODE")
        self.observer = psycopg.connect(**self.dsn, autocommit=True)  # fresh statistics on every query
        return self

    def blocked_backends(self) -> set[int]:
        """Backends waiting for the lock: tasks that are mid-task now."""
        rows = self.observer.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            " AND query ILIKE '%%catalog_product%%'"
        ).fetchall()
        return {pid for (pid,) in rows}

    def release(self) -> None:
        if self.conn is not None:
            self.conn.rollback()
            self.conn.close()
            self.conn = None

    def __exit__(self, *exc) -> None:
        self.release()
        if self.observer is not None:
            self.observer.close()
            self.observer = None

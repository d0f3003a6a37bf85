"""Test stand-ins for what rundemo downloads: a gallery in PaddleClas's layout (as the official
``drink_dataset_v2.0.tar``) and model archives laid out as the official ones, published by a
local HTTP server with the official paths."""

from __future__ import annotations

import http.server
import io
import tarfile
import threading
from pathlib import Path

from recognition.engine import model_store
from tests.recognition.conftest import encode, pattern

# label -> pattern seeds of its photos (the tiny extractor tells the patterns apart)
DRINKS = {"可口可乐": (11, 12), "雪碧": (22,), "农夫山泉": (33, 34)}


def write_paddleclas_gallery(root: Path, drinks: dict[str, tuple[int, ...]] = DRINKS) -> tuple[Path, Path]:
    """``root/gallery/<n>/<seed>.jpg`` plus ``root/gallery/drink_label.txt``; returns (image root, label file)."""
    gallery = root / "gallery"
    lines = []
    for n, (label, seeds) in enumerate(drinks.items()):
        (gallery / str(n)).mkdir(parents=True, exist_ok=True)
        for seed in seeds:
            (gallery / str(n) / f"{seed}.jpg").write_bytes(encode(pattern(seed), "JPEG", quality=95))
            lines.append(f"{n}/{seed}.jpg\t{label}\n")
    labels = gallery / "drink_label.txt"
    labels.write_text("".join(lines), encoding="utf-8")
    return gallery, labels


def tar_folder(folder: Path, arcname: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(folder, arcname=arcname)
    return buffer.getvalue()


class DownloadHost:
    """A local stand-in for the official download host: files under their official paths."""

    def __init__(self, root: Path):
        self.root = root
        self.requests: list[str] = []
        host = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kw):
                super().__init__(*args, directory=str(root), **kw)

            def do_GET(self):
                host.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def publish(self, spec: model_store.ModelSpec, data: bytes) -> None:
        path = self.root / spec.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def publish_models(self, detector: Path, extractor: Path) -> None:
        for name, folder in (("detector", detector), ("extractor", extractor)):
            spec = model_store.REGISTRY[name]
            self.publish(spec, tar_folder(folder, spec.folder))

    def publish_demo_gallery(self, workdir: Path) -> None:
        write_paddleclas_gallery(workdir / "drink_dataset_v2.0")
        self.publish(model_store.DEMO_GALLERY, tar_folder(workdir / "drink_dataset_v2.0", "drink_dataset_v2.0"))

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

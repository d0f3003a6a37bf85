"""Model download against a local HTTP server: good, corrupt, wrong checksum, unsafe members, 404."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import tarfile
import threading
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from recognition.engine import model_store
from recognition.engine.model_store import ModelDownloadError, fetch_model, safe_extract

DET, REC = model_store.REGISTRY["detector"], model_store.REGISTRY["extractor"]


def make_tar(members: dict[str, bytes | tuple]) -> bytes:
    """name -> file bytes, or ("symlink"|"hardlink"|"chardev"|"fifo", target)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            if isinstance(content, tuple):
                kind, target = content
                info.type = {
                    "symlink": tarfile.SYMTYPE,
                    "hardlink": tarfile.LNKTYPE,
                    "chardev": tarfile.CHRTYPE,
                    "fifo": tarfile.FIFOTYPE,
                }[kind]
                info.linkname = target
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def model_tar(folder: str, graph: str = "inference.pdmodel", extra: dict | None = None) -> bytes:
    return make_tar(
        {
            f"{folder}/{graph}": b"graph-bytes",
            f"{folder}/inference.pdiparams": b"params-bytes",
            **(extra or {}),
        }
    )


class Server:
    def __init__(self, root: Path):
        self.requests: list[str] = []
        server_self = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kw):
                super().__init__(*args, directory=str(root), **kw)

            def do_GET(self):
                server_self.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def host(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    server = Server(root)

    def publish(spec, data: bytes):
        path = root / spec.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return hashlib.sha256(data).hexdigest()

    server.publish = publish
    yield server
    server.close()


def test_good_archive_with_checksum_then_idempotent(host, tmp_path):
    data = model_tar(REC.folder, "inference.json")
    sha = host.publish(REC, data)
    cache = tmp_path / "cache"
    res = fetch_model("extractor", cache, base_url=host.url, expected_sha256=sha, progress=False)
    assert res.downloaded and res.verified == "checksum" and res.sha256 == sha
    assert (cache / REC.folder / "inference.json").read_bytes() == b"graph-bytes"
    record = json.loads((cache / REC.folder / model_store.RECORD_FILE).read_text())
    assert record["sha256"] == sha and record["url"] == f"{host.url}/{REC.path}"
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]  # no temp files left
    again = fetch_model("extractor", cache, base_url=host.url, expected_sha256=sha, progress=False)
    assert not again.downloaded and len(host.requests) == 1  # nothing fetched the second time


def test_published_checksum_is_enforced_by_default(host, tmp_path):
    host.publish(REC, model_tar(REC.folder, "inference.json"))  # not the real archive
    with pytest.raises(ModelDownloadError, match=f"does not match the expected {REC.sha256}"):
        fetch_model("extractor", tmp_path / "cache", base_url=host.url, progress=False)
    assert not (tmp_path / "cache" / REC.folder).exists()


def test_no_known_checksum_verifies_structure_and_records_sha(host, tmp_path):
    sha = host.publish(DET, model_tar(DET.folder))
    res = fetch_model("detector", tmp_path / "cache", base_url=host.url, progress=False)
    assert res.verified == "structure" and res.sha256 == sha
    record = json.loads((res.folder / model_store.RECORD_FILE).read_text())
    assert record["verified"] == "structure" and record["sha256"] == sha


def test_wrong_checksum_installs_nothing(host, tmp_path):
    host.publish(DET, model_tar(DET.folder))
    with pytest.raises(ModelDownloadError, match=r"sha256 .* does not match the expected 0{64}"):
        fetch_model("detector", tmp_path / "cache", base_url=host.url, expected_sha256="0" * 64, progress=False)
    assert list((tmp_path / "cache").iterdir()) == []


def test_corrupt_archive(host, tmp_path):
    host.publish(DET, b"\x1f\x8b garbage, not a tar" * 100)
    with pytest.raises(ModelDownloadError, match="not a valid tar archive"):
        fetch_model("detector", tmp_path / "cache", base_url=host.url, progress=False)


def test_truncated_archive(host, tmp_path):
    data = model_tar(DET.folder)
    host.publish(DET, data[:700])
    with pytest.raises(ModelDownloadError, match=r"tar archive|lacks"):
        fetch_model("detector", tmp_path / "cache", base_url=host.url, progress=False)
    assert not (tmp_path / "cache" / DET.folder).exists()


def test_archive_without_model_files(host, tmp_path):
    host.publish(DET, make_tar({f"{DET.folder}/README": b"hi"}))
    with pytest.raises(ModelDownloadError, match="lacks"):
        fetch_model("detector", tmp_path / "cache", base_url=host.url, progress=False)


def test_http_404(host, tmp_path):
    with pytest.raises(ModelDownloadError, match="HTTP 404"):
        fetch_model("detector", tmp_path / "cache", base_url=host.url, progress=False)


@pytest.mark.parametrize(
    ("member", "content", "message"),
    [
        ("../escape.txt", b"x", "escapes the target"),
        ("picodet/../../escape.txt", b"x", "escapes the target"),
        ("/tmp/absolute.txt", b"x", "absolute path"),
        ("picodet/link", ("symlink", "/etc/passwd"), "links are not allowed"),
        ("picodet/hard", ("hardlink", "../../etc/passwd"), "links are not allowed"),
        ("picodet/dev", ("chardev", ""), "special file"),
        ("picodet/fifo", ("fifo", ""), "special file"),
    ],
)
def test_unsafe_members_are_refused_before_writing(host, tmp_path, member, content, message):
    host.publish(DET, model_tar(DET.folder, extra={member: content}))
    cache = tmp_path / "a" / "cache"
    with pytest.raises(ModelDownloadError, match=message):
        fetch_model("detector", cache, base_url=host.url, progress=False)
    assert not (tmp_path / "a" / "escape.txt").exists()
    assert not (cache / DET.folder).exists()


def test_safe_extract_directly(tmp_path):
    archive = tmp_path / "a.tar"
    archive.write_bytes(make_tar({"ok/file.txt": b"hello", "ok/../../evil": b"x"}))
    with pytest.raises(ModelDownloadError, match="escapes"):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "evil").exists() and not (tmp_path / "out" / "ok").exists()


def test_fetch_models_command(host, tmp_path, settings):
    det_sha = host.publish(DET, model_tar(DET.folder))
    rec_sha = host.publish(REC, model_tar(REC.folder, "inference.json"))
    settings.SHITU_REC_SHA256 = rec_sha  # stands in for the published one
    settings.SHITU_DET_SHA256 = ""
    out = io.StringIO()
    args = ["fetch-models", "--cache", str(tmp_path / "c"), "--base-url", host.url, "--no-progress"]
    call_command("shitu", *args, stdout=out)
    text = out.getvalue()
    assert f"detector: installed {tmp_path / 'c' / DET.folder} (sha256 {det_sha}; structure verified" in text
    assert f"extractor: installed {tmp_path / 'c' / REC.folder} (sha256 {rec_sha}; checksum verified)" in text
    out = io.StringIO()
    call_command("shitu", *args, stdout=out)
    assert out.getvalue().count("nothing to do") == 2
    settings.SHITU_DET_SHA256 = "f" * 64  # a pinned checksum the installed copy does not have
    with pytest.raises(CommandError, match=r"does not match the expected f{64}"):
        call_command("shitu", *args, "--only", "detector", stdout=io.StringIO())
    assert (tmp_path / "c" / DET.folder / "inference.pdmodel").is_file()  # the old copy is untouched

"""Fixtures for the recognition tests: tiny Paddle models (both formats) and generated photos."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.recognition.tiny_models import build_in_child

HERE = Path(__file__).resolve().parent
# The real PP-ShiTuV2 networks with random weights in ../shared beside the repository (read its
# README); SC_SHARED_MODELS points elsewhere (a git worktree has no ../shared).
SHARED_MODELS = Path(os.environ.get("SC_SHARED_MODELS") or HERE.parents[1].parent / "shared" / "models")


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> dict[str, Path]:
    """Folders det_legacy, det_pir, det_two_inputs, det_picodet, rec_legacy, rec_pir built in-session.

    Each program IR is a per-process choice in Paddle, so each format is built by one child
    interpreter running ``tiny_models.py`` (about two seconds each).
    """
    out = tmp_path_factory.mktemp("tiny_models")
    for kind in ("legacy", "pir"):
        build_in_child(kind, out)
    folders = {p.name: p for p in out.iterdir()}
    assert {"det_legacy", "det_pir", "det_two_inputs", "det_picodet", "rec_legacy", "rec_pir"} <= set(folders)
    return folders


def pattern(seed: int, size: int = 280, blocks: int = 4) -> np.ndarray:
    """A product-like photo: a blocks x blocks grid of random colours (stable under resizing)."""
    rng = np.random.default_rng(seed)
    grid = rng.integers(0, 256, size=(blocks, blocks, 3), dtype=np.uint8)
    return np.kron(grid, np.ones((size // blocks, size // blocks, 1), dtype=np.uint8))


ITEM_A, ITEM_B, ITEM_C = 11, 22, 33  # pattern seeds


def scene() -> np.ndarray:
    """640x640 photo with A, B, C, A where the tiny detector puts its boxes."""
    img = np.full((640, 640, 3), 200, np.uint8)
    for seed, (x, y) in ((ITEM_A, (20, 20)), (ITEM_B, (340, 20)), (ITEM_C, (20, 340)), (ITEM_A, (340, 340))):
        img[y : y + 280, x : x + 280] = pattern(seed)
    return img


def encode(image: np.ndarray, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format=fmt, **kw)
    return buf.getvalue()


@pytest.fixture
def image_files(tmp_path) -> dict[str, Path]:
    """Real image files: the scene (PNG), items A/B/C (JPEG, and B as a PNG named .jpg), and bad files."""
    files = {
        "scene": tmp_path / "scene.png",
        "a": tmp_path / "a.png",
        "b": tmp_path / "b.jpg",  # really a PNG, like some catalog photos
        "c": tmp_path / "c.jpg",
        "not_image": tmp_path / "notes.jpg",
        "truncated": tmp_path / "truncated.jpg",
    }
    files["scene"].write_bytes(encode(scene()))
    files["a"].write_bytes(encode(pattern(ITEM_A)))
    files["b"].write_bytes(encode(pattern(ITEM_B)))
    files["c"].write_bytes(encode(pattern(ITEM_C), "JPEG", quality=95))
    files["not_image"].write_bytes(b"this is not a photo\n" * 10)
    full = encode(pattern(ITEM_C), "JPEG", quality=95)
    files["truncated"].write_bytes(full[: len(full) // 2])
    return files


def pytest_configure(config):
    config.addinivalue_line("filterwarnings", "ignore:No ccache found:UserWarning")
    config.addinivalue_line("filterwarnings", "ignore:builtin type .* has no __module__ attribute:DeprecationWarning")

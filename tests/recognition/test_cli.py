"""``manage.py shitu`` JSON output on the tiny models and generated photos."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from tests.recognition import tiny_models
from tests.recognition.conftest import ITEM_A, ITEM_B, encode, pattern

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _one_thread(settings):
    settings.SHITU_CPU_THREADS = 1


def run(*args) -> list[dict]:
    out = io.StringIO()
    call_command("shitu", *[str(a) for a in args], stdout=out, stderr=io.StringIO())
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def test_detect_json_lines_unclamped_best_first(models, image_files):
    lines = run(
        "detect",
        image_files["scene"],
        image_files["b"],
        "--det-model",
        models["det_legacy"],
        "--threshold",
        "0.2",
        "--max-det",
        "6",
    )
    assert [line["image"] for line in lines] == [str(image_files["scene"]), str(image_files["b"])]
    boxes = lines[0]["boxes"]
    assert len(boxes) == 6
    assert [b[4] for b in boxes] == sorted((b[4] for b in boxes), reverse=True)
    assert boxes[0] == [20.0, 20.0, 300.0, 300.0, 0.9]
    assert boxes[-1] == [600.0, 600.0, 700.0, 700.0, 0.3]  # as emitted: beyond the 640x640 photo
    # b.jpg is 280x280: boxes come back in its own pixels.
    assert lines[1]["boxes"][0] == pytest.approx(
        [20 * 280 / 640, 20 * 280 / 640, 300 * 280 / 640, 300 * 280 / 640, 0.9], abs=1e-3
    )


def test_detect_threshold_and_max_det(models, image_files):
    (line,) = run("detect", image_files["scene"], "--det-model", models["det_pir"], "--threshold", "0.75")
    assert [b[4] for b in line["boxes"]] == [0.9, 0.85, 0.8]
    (line,) = run(
        "detect", image_files["scene"], "--det-model", models["det_pir"], "--max-det", "2", "--threshold", "0"
    )
    assert len(line["boxes"]) == 2


def test_embed_json_line(models, image_files):
    lines = run("embed", image_files["a"], image_files["c"], "--rec-model", models["rec_pir"])
    assert len(lines) == 2
    feature = np.array(lines[0]["feature"])
    assert feature.shape == (512,)
    assert np.linalg.norm(feature) == pytest.approx(1.0, abs=1e-4)
    assert not np.allclose(feature, lines[1]["feature"], atol=1e-2)


def test_bad_images_get_an_error_line_and_the_rest_is_processed(models, image_files):
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 input"):
        call_command(
            "shitu",
            "embed",
            str(image_files["not_image"]),
            str(image_files["a"]),
            str(image_files["truncated"]),
            "--rec-model",
            str(models["rec_legacy"]),
            stdout=out,
            stderr=io.StringIO(),
        )
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert "not an image" in lines[0]["error"]
    assert len(lines[1]["feature"]) == 512
    assert "truncated" in lines[2]["error"]


def test_label_file_index_then_recognize(models, image_files, tmp_path):
    labels = tmp_path / "labels.tsv"
    labels.write_text(f"{image_files['a'].name}\tSKU-A\n# comment\n\n{image_files['b'].name}\tSKU-B\n")
    index = tmp_path / "idx" / "gallery.faiss"
    (summary,) = run("build-index", "--labels", labels, "--out", index, "--rec-model", models["rec_legacy"])
    assert summary["vectors"] == 2 and summary["labels"] == 2 and summary["kind"] == "flat"
    assert summary["version"].startswith("rec_legacy@")
    (result,) = run(
        "recognize",
        image_files["scene"],
        "--index",
        index,
        "--det-model",
        models["det_legacy"],
        "--rec-model",
        models["rec_legacy"],
        "--match-threshold",
        "0.9",
    )
    assert result["image"] == str(image_files["scene"])
    assert {line["label"]: line["quantity"] for line in result["lines"]} == {"SKU-A": 2, "SKU-B": 1}
    assert len(result["unknown"]) == 1 and result["unknown"][0]["box"] == [20, 340, 300, 620]
    assert result["image_size"] == [640, 640]


def test_catalog_index_with_a_png_named_jpg(models, tmp_path):
    catalog = tmp_path / "catalog"
    (catalog / "images").mkdir(parents=True)
    (catalog / "images" / "0001.jpg").write_bytes(encode(pattern(ITEM_A), "JPEG", quality=95))
    (catalog / "images" / "0002.jpg").write_bytes(encode(pattern(ITEM_B)))  # really a PNG
    (catalog / "catalog.csv").write_text(
        "sku,name,price,image\nSC0001,apple,3.5,images/0001.jpg\nSC0002,pear,4,images/0002.jpg\n"
    )
    index = tmp_path / "catalog.faiss"
    (summary,) = run(
        "build-index", "--catalog", catalog, "--out", index, "--kind", "hnsw", "--rec-model", models["rec_pir"]
    )
    assert summary["vectors"] == 2 and summary["kind"] == "hnsw"
    (result,) = run(
        "recognize",
        catalog / "images" / "0002.jpg",
        "--index",
        index,
        "--det-model",
        models["det_pir"],
        "--rec-model",
        models["rec_pir"],
        "--threshold",
        "0.99",
    )
    assert result["whole_image"] and result["lines"][0]["label"] == "SC0002"


def test_recognize_with_a_corrupt_index_fails_clearly(models, image_files, tmp_path):
    index = tmp_path / "i.faiss"
    labels = tmp_path / "l.tsv"
    labels.write_text(f"{image_files['a']}\tA\n")
    run("build-index", "--labels", labels, "--out", index, "--rec-model", models["rec_legacy"])
    index.write_bytes(index.read_bytes()[:-3] + b"xyz")
    with pytest.raises(CommandError, match="checksum mismatch"):
        run(
            "recognize",
            image_files["scene"],
            "--index",
            index,
            "--det-model",
            models["det_legacy"],
            "--rec-model",
            models["rec_legacy"],
        )


def test_missing_model_folder_is_a_command_error(tmp_path, image_files):
    with pytest.raises(CommandError, match=r"detector model folder .* not found"):
        run("detect", image_files["scene"], "--det-model", tmp_path / "none")


def test_bench_runs_on_tiny_models(models, image_files, tmp_path):
    out = io.StringIO()
    call_command(
        "shitu",
        "bench",
        "--image",
        str(image_files["scene"]),
        "--det-model",
        str(models["det_legacy"]),
        "--rec-model",
        str(models["rec_legacy"]),
        "--sizes",
        "50",
        "--runs",
        "2",
        "--warmup",
        "1",
        "--max-det",
        "3",
        "--default-k",
        "5",
        "--json",
        str(tmp_path / "b.json"),
        stdout=out,
        stderr=io.StringIO(),
    )
    figures = json.loads((tmp_path / "b.json").read_text())
    (gallery,) = figures["galleries"]
    assert gallery["size"] == 50 and gallery["crops"] == 3
    for stage in ("decode", "det_preprocess", "det_forward", "crop_preprocess", "feature_forward", "search", "total"):
        assert 0 <= gallery[stage]["p50"] <= gallery[stage]["p95"]
    assert gallery["overhead_ratio"] > 1
    assert gallery["naive"]["total"]["p50"] > 0 and gallery["naive_speedup"] > 0
    assert figures["default_k"]["crops"] == 5
    assert figures["machine"]["nproc"] == os.cpu_count()
    assert "overhead ratio" in out.getvalue() and "naive loop" in out.getvalue()
    assert figures["phone_decode"]["scaled_shape"] == [1512, 2016]


def test_bench_threads_times_both_thread_models_on_tiny_models(models, image_files):
    out = io.StringIO()
    call_command(
        "shitu",
        "bench-threads",
        "--image",
        str(image_files["scene"]),
        "--det-model",
        str(models["det_legacy"]),
        "--rec-model",
        str(models["rec_legacy"]),
        "--clients",
        "3",
        "--rounds",
        "2",
        "--max-det",
        "3",
        "--size",
        "50",
        stdout=out,
        stderr=io.StringIO(),
    )
    text = out.getvalue()
    for row in (
        "one request at a time",
        "one engine thread per process, 3 concurrent",
        "fresh predictors per request thread, 3 concurrent",
    ):
        assert f"| {row}" in text
    assert "each further set" in text


def test_process_survives_bad_input_in_a_subprocess(models, image_files, tmp_path):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(encode(np.zeros((8000, 8000), np.uint8)))
    tiny = tmp_path / "tiny.png"
    tiny.write_bytes(encode(np.zeros((1, 1, 3), np.uint8)))
    env = {**os.environ, "SHITU_MAX_IMAGE_PIXELS": "10000000", "SHITU_CPU_THREADS": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shitu",
            "detect",
            str(image_files["truncated"]),
            str(bomb),
            str(tiny),
            str(image_files["scene"]),
            "--det-model",
            str(models["det_legacy"]),
            "--threshold",
            "0.5",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [("error" in line) for line in lines] == [True, True, True, False]
    assert "truncated" in lines[0]["error"]
    assert "too many pixels: 8000x8000" in lines[1]["error"]
    assert "minimum 16 pixels" in lines[2]["error"]
    assert len(lines[3]["boxes"]) == len([s for s in tiny_models.DET_SCORES if s >= 0.5])
    assert "3 input(s) failed" in proc.stderr

"""The engine's reference-photo crop rule and index building, used by the CLI and the live gallery alike."""

from __future__ import annotations

import numpy as np
import pytest

from recognition.engine import indexing
from recognition.engine.index import GalleryIndex
from recognition.engine.models import InferenceOptions, build_models
from tests.recognition.conftest import ITEM_A, ITEM_B, encode, pattern, scene
from tests.recognition.test_cli import run


@pytest.fixture(scope="module")
def tiny_models(models):
    return build_models(
        models["det_legacy"],
        models["rec_pir"],
        InferenceOptions(backend="paddle", device="cpu", threads=1, mkldnn=True, bf16=False, max_batch=2),
    )


def test_whole_photo_by_default_and_the_detectors_best_box_with_mainbody(tiny_models):
    photo = scene()
    (whole,) = indexing.embed_references(tiny_models, [photo], indexing.CropRule())
    assert whole.crop_box is None
    np.testing.assert_allclose(whole.vector, tiny_models.extractor.embed([photo])[0], atol=1e-6)
    (cropped,) = indexing.embed_references(tiny_models, [photo], indexing.CropRule(mainbody=True))
    assert cropped.crop_box == (20.0, 20.0, 300.0, 300.0)  # the tiny detector's best box: item A
    np.testing.assert_allclose(cropped.vector, tiny_models.extractor.embed([photo[20:300, 20:300]])[0], atol=1e-6)
    assert cropped.model_version == tiny_models.extractor.version
    # No box scores high enough: the whole photo, as when nothing is detected.
    (fallback,) = indexing.embed_references(tiny_models, [photo], indexing.CropRule(mainbody=True, min_score=0.95))
    assert fallback.crop_box is None


def test_build_index_batches_skips_unreadable_photos_and_trains_ivf(tiny_models, tmp_path):
    paths = {}
    for name, seed in (("a.png", ITEM_A), ("b.png", ITEM_B), ("a2.png", ITEM_A)):
        paths[name] = tmp_path / name
        paths[name].write_bytes(encode(pattern(seed)))
    (tmp_path / "broken.jpg").write_bytes(b"not a photo")
    (tmp_path / "labels.txt").write_text("a.png\tA\nbroken.jpg\tX\nb.png\tB\na2.png\tA\n")
    entries = indexing.read_label_file(tmp_path / "labels.txt")
    errors = []
    gallery = indexing.build_index(entries, tiny_models, on_error=lambda e, exc: errors.append(e.label))
    assert errors == ["X"] and len(gallery) == 3  # max_batch 2: two batches
    assert gallery.version == tiny_models.extractor.version
    ((best_id, label, score), *_) = gallery.search(tiny_models.extractor.embed([pattern(ITEM_B)]), 1)[0]
    assert (best_id, label) == (3, "B") and score > 0.99  # ids are the label file's line numbers
    ivf = indexing.build_index(entries, tiny_models, kind="ivf", nlist=1)
    assert isinstance(ivf, GalleryIndex) and ivf.kind == "ivf" and len(ivf) == 3


def test_entry_lists_name_the_bad_file_and_line(tmp_path):
    (tmp_path / "labels.txt").write_text("a.png\tA\nno tab here\n")
    with pytest.raises(indexing.EntryListError, match=r"labels.txt:2: expected path<TAB>label"):
        indexing.read_label_file(tmp_path / "labels.txt")
    with pytest.raises(indexing.EntryListError, match="cannot read"):
        indexing.read_catalog(tmp_path / "nowhere")
    (tmp_path / "catalog.csv").write_text("name,price\nx,1\n")
    with pytest.raises(indexing.EntryListError, match="needs sku and image columns"):
        indexing.read_catalog(tmp_path)


def test_cli_index_and_live_gallery_embed_reference_photos_by_one_rule(settings, models, tmp_path):
    from gallery.embedding import embed_photo
    from recognition import runtime

    settings.SHITU_CPU_THREADS = 1
    settings.SHITU_DET_MODEL_DIR, settings.SHITU_REC_MODEL_DIR = str(models["det_legacy"]), str(models["rec_pir"])
    settings.GALLERY_MAINBODY_CROP = True
    runtime.reset()
    try:
        (tmp_path / "scene.png").write_bytes(encode(scene()))
        (tmp_path / "labels.txt").write_text("scene.png\tA\n")
        index = tmp_path / "gallery.faiss"
        live = embed_photo(encode(scene()))
        assert live.crop_box is not None
        run("build-index", "--labels", tmp_path / "labels.txt", "--out", index)
        ((_, _, same),) = GalleryIndex.load(index).search(live.vector[None, :], 1)[0]
        assert same == pytest.approx(1.0, abs=1e-5)  # the CLI embedded the same crop
        run("build-index", "--labels", tmp_path / "labels.txt", "--out", index, "--no-mainbody-crop")
        ((_, _, whole),) = GalleryIndex.load(index).search(live.vector[None, :], 1)[0]
        assert whole < 0.999  # the whole photo is another vector
    finally:
        runtime.reset()

"""Recognition and gallery embedding work from every thread, with oneDNN on.

With paddlepaddle 3.3 + oneDNN a predictor ``clone()`` fails on a second thread once the
first clone has run (``fused_conv2d``: "The Filter tensor's layout should be ONEDNN, but got
NCHW"); the dev server, gunicorn ``--threads`` and Celery thread pools all run requests on
several threads.  Every thread's result must equal the single-threaded one.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from gallery.embedding import embed_photo
from recognition import runtime
from recognition.engine.index import GalleryIndex
from tests.recognition.conftest import ITEM_A, ITEM_B, SHARED_MODELS, encode, pattern, scene


def _comparable(result) -> dict:
    data = result.to_dict()
    data.pop("timings")
    return data


def _in_threads(fn, n: int, *, concurrent: bool) -> list:
    """``fn()`` on ``n`` new threads, one after another or all released at once; results in order."""
    results: list = [None] * n
    errors: list[BaseException] = []
    start = threading.Barrier(n if concurrent else 1)

    def work(i: int) -> None:
        try:
            start.wait(timeout=60)
            results[i] = fn()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
        if not concurrent:
            t.join()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


@pytest.fixture
def tiny(settings, models):
    settings.SHITU_DET_MODEL_DIR = str(models["det_legacy"])  # the legacy graph: where clones broke
    settings.SHITU_REC_MODEL_DIR = str(models["rec_pir"])
    settings.SHITU_CPU_THREADS = 1
    settings.SHITU_MKLDNN = True
    settings.SHITU_MATCH_THRESHOLD = 0.9
    settings.GALLERY_MAINBODY_CROP = False
    runtime.reset()
    yield settings
    runtime.reset()


def _gallery(photos: dict[str, bytes]) -> GalleryIndex:
    embedded = {label: embed_photo(data) for label, data in photos.items()}
    first = next(iter(embedded.values()))
    gallery = GalleryIndex(len(first.vector), version=first.model_version)
    gallery.add(list(range(1, len(embedded) + 1)), np.stack([e.vector for e in embedded.values()]), list(embedded))
    return gallery


@pytest.mark.parametrize("concurrent", [False, True], ids=["in_sequence", "concurrently"])
def test_recognitions_from_several_threads_equal_a_single_threaded_run(tiny, concurrent):
    gallery = _gallery({"A": encode(pattern(ITEM_A)), "B": encode(pattern(ITEM_B))})
    photo = encode(scene())
    expected = _comparable(runtime.recognize_bytes(photo, gallery))
    assert {line["label"]: line["quantity"] for line in expected["lines"]} == {"A": 2, "B": 1}
    results = _in_threads(
        lambda: [_comparable(runtime.recognize_bytes(photo, gallery)) for _ in range(2)], 4, concurrent=concurrent
    )
    assert all(r == [expected, expected] for r in results)


@pytest.mark.parametrize("crop", [False, True], ids=["whole_photo", "mainbody_crop"])
def test_gallery_embeddings_from_several_threads_equal_a_single_threaded_run(tiny, crop):
    tiny.GALLERY_MAINBODY_CROP = crop
    photo = encode(scene())
    expected = embed_photo(photo)
    assert (expected.crop_box is not None) is crop
    for concurrent in (False, True):
        for got in _in_threads(lambda: embed_photo(photo), 3, concurrent=concurrent):
            np.testing.assert_array_equal(got.vector, expected.vector)
            assert (got.model_version, got.crop_box) == (expected.model_version, expected.crop_box)


def test_a_thread_per_request_like_the_dev_server_reuses_the_loaded_models(tiny):
    runtime.preload()
    models = runtime.engine().models
    assert models is not None
    gallery = _gallery({"A": encode(pattern(ITEM_A))})
    _in_threads(lambda: runtime.recognize_bytes(encode(scene()), gallery), 3, concurrent=False)
    assert runtime.engine().models is models  # built once per process, not per request thread


@pytest.fixture
def stand_in(settings):
    det = SHARED_MODELS / "picodet_PPLCNet_x2_5_mainbody_lite_v1.0_infer"
    rec = SHARED_MODELS / "general_PPLCNetV2_base_pretrained_v1.0_infer"
    if not (det.is_dir() and rec.is_dir()):
        pytest.skip(f"no stand-in models in {SHARED_MODELS}")
    settings.SHITU_DET_MODEL_DIR, settings.SHITU_REC_MODEL_DIR = str(det), str(rec)
    settings.SHITU_CPU_THREADS = 1
    settings.SHITU_MKLDNN = True
    settings.SHITU_MAX_DETECTIONS = 3  # random weights: every photo fills K; keep the test short
    settings.SHITU_MATCH_THRESHOLD = 0.0  # random weights: accept the best match, whatever it is
    settings.GALLERY_MAINBODY_CROP = False
    runtime.reset()
    yield settings
    runtime.reset()


def test_stand_in_models_recognise_alike_on_every_thread(stand_in):
    gallery = _gallery({"A": encode(pattern(ITEM_A)), "B": encode(pattern(ITEM_B))})
    photo = encode(scene(), "JPEG", quality=90)
    expected = _comparable(runtime.recognize_bytes(photo, gallery))
    assert expected["crops"] == 3
    for concurrent in (False, True):
        results = _in_threads(lambda: _comparable(runtime.recognize_bytes(photo, gallery)), 3, concurrent=concurrent)
        assert all(r == expected for r in results)

"""seed_demo and the gallery: photos that failed while the models were missing are queued again
once they are there, the outcome is printed with every failure reason, and PaddleClas galleries
load through the same command."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Product
from gallery.models import GalleryEmbedding
from recognition import runtime
from tests.demo_data import write_paddleclas_gallery
from tests.gallery.conftest import engine_settings  # noqa: F401 - fixture
from tests.recognition.conftest import models  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)  # queued embeddings run as each row commits, as for real


def seed(**options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_photos_failed_without_models_are_retried_when_the_models_appear(
    engine_settings,  # noqa: F811
    tmp_path,
):
    images, labels = write_paddleclas_gallery(tmp_path / "drinks")
    extractor = engine_settings.SHITU_REC_MODEL_DIR
    engine_settings.SHITU_REC_MODEL_DIR = str(tmp_path / "not-downloaded-yet")
    runtime.reset()
    out, err = seed(paddleclas_gallery=str(images), label_file=str(labels))
    assert "products: 3 created" in out and "photos: 5 added" in out
    assert "recognition models not found" in err
    assert "gallery: 0 photos indexed, 0 pending, 5 failed" in out
    assert "5 failed: recognition model unavailable" in out  # the reason, not a silent count

    engine_settings.SHITU_REC_MODEL_DIR = extractor  # the models arrive; the same command again
    runtime.reset()
    out, _ = seed(paddleclas_gallery=str(images), label_file=str(labels))
    assert "photos: 0 added, 5 already present" in out
    assert "queued 5 photos for embedding again (5 failed, 0 pending)" in out
    assert set(GalleryEmbedding.objects.values_list("status", flat=True)) == {"indexed"}
    assert Product.objects.filter(category__slug="demo-data").count() == 3


def test_label_file_needs_the_gallery_and_one_source_is_required(settings):
    settings.SC_DEMO_CATALOG = ""
    with pytest.raises(CommandError, match="--label-file goes with --paddleclas-gallery"):
        call_command("seed_demo", label_file="labels.txt")
    with pytest.raises(CommandError, match="--paddleclas-gallery DIR"):
        call_command("seed_demo")

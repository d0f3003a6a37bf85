"""A gallery in PaddleClas's layout (image folder + label file) becomes products with photos."""

from __future__ import annotations

import pytest

from catalog.importer import CatalogFolderError
from catalog.models import PriceChange, Product, ProductImage
from catalog.paddleclas import DEMO_CATEGORY_SLUG, demo_price_fen, import_paddleclas_gallery, label_sku
from recognition.engine import model_store
from recognition.engine.model_store import ModelDownloadError
from tests.demo_data import DRINKS, DownloadHost, tar_folder, write_paddleclas_gallery

pytestmark = pytest.mark.django_db


def test_one_product_per_label_with_its_photos_demo_priced_idempotently(tmp_path):
    images, labels = write_paddleclas_gallery(tmp_path / "drinks")
    report = import_paddleclas_gallery(images, labels)
    assert (report.created, report.photos_added, report.skipped) == (3, 5, [])
    cola = Product.objects.get(sku=label_sku("可口可乐"))
    assert cola.name == "可口可乐" and cola.sku.startswith("PC-") and cola.images.count() == 2
    assert cola.category.slug == DEMO_CATEGORY_SLUG  # marked as demo data
    assert cola.price_fen == demo_price_fen("可口可乐") and 300 <= cola.price_fen <= 1500 and cola.price_fen % 50 == 0
    assert PriceChange.objects.get(product=cola).source == "demo"

    cola.price_fen = 999
    cola.save()
    again = import_paddleclas_gallery(images, labels)
    assert (again.created, again.unchanged, again.photos_added, again.photos_present) == (0, 3, 0, 5)
    assert Product.objects.get(pk=cola.pk).price_fen == 999  # the store's own price is kept
    assert ProductImage.objects.count() == 5


def test_label_file_found_beside_the_photos_and_sku_labels_name_existing_products(tmp_path, make_product):
    water = make_product(sku="WATER-1", name="Water", price_fen=200)
    images, _ = write_paddleclas_gallery(tmp_path / "g", {"WATER-1": (5,), "新品": (6,)})
    report = import_paddleclas_gallery(images)  # the one .txt of the folder
    assert report.created == 1 and report.unchanged == 1
    assert water.images.count() == 1 and Product.objects.get(pk=water.pk).price_fen == 200


def test_bad_lines_and_photos_are_reported_not_fatal(tmp_path):
    images, labels = write_paddleclas_gallery(tmp_path / "g", {"可乐": (1,)})
    (images / "broken.jpg").write_bytes(b"not a jpeg at all" * 10)
    labels.write_text(
        labels.read_text(encoding="utf-8")
        + "just-a-path-no-label\n"
        + "missing.jpg\t可乐\n"
        + "../../escape.jpg\t可乐\n"
        + "broken.jpg\t可乐\n"
        + "0/1.jpg 可乐\n",  # a space instead of the tab, as some editors write it
        encoding="utf-8",
    )
    report = import_paddleclas_gallery(images, labels)
    assert report.created == 1 and report.photos_added == 1 and report.photos_present == 1
    text = "\n".join(report.skipped)
    assert "line 2: expected 'relative/path<TAB>label'" in text
    assert "'missing.jpg' not found" in text and "'../../escape.jpg' not found" in text
    assert "'broken.jpg' skipped" in text and len(report.skipped) == 4


def test_folder_errors(tmp_path):
    with pytest.raises(CatalogFolderError, match="not found"):
        import_paddleclas_gallery(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CatalogFolderError, match="--label-file"):
        import_paddleclas_gallery(tmp_path / "empty")
    (tmp_path / "empty" / "labels.txt").write_text("# nothing\n")
    with pytest.raises(CatalogFolderError, match="names no photos"):
        import_paddleclas_gallery(tmp_path / "empty")


def test_demo_gallery_download_from_the_model_host(tmp_path):
    host = DownloadHost(tmp_path / "www")
    try:
        host.publish_demo_gallery(tmp_path / "build")
        result = model_store.fetch_demo_gallery(tmp_path / "cache", base_url=host.url, progress=False)
        assert result.downloaded and result.verified == "structure"
        assert (result.folder / model_store.DEMO_GALLERY_LABELS).read_text(encoding="utf-8").count("\t") == sum(
            len(seeds) for seeds in DRINKS.values()
        )
        again = model_store.fetch_demo_gallery(tmp_path / "cache", base_url=host.url, progress=False)
        assert not again.downloaded and host.requests == [f"/{model_store.DEMO_GALLERY.path}"]
    finally:
        host.close()


def test_demo_gallery_archive_links_are_skipped_and_its_structure_checked(tmp_path):
    build = tmp_path / "build" / "drink_dataset_v2.0"
    write_paddleclas_gallery(build)
    (build / "gallery" / "link.jpg").symlink_to("/etc/passwd")
    host = DownloadHost(tmp_path / "www")
    try:
        host.publish(model_store.DEMO_GALLERY, tar_folder(build, "drink_dataset_v2.0"))
        result = model_store.fetch_demo_gallery(tmp_path / "cache", base_url=host.url, progress=False)
        assert not (result.folder / "gallery" / "link.jpg").exists()
        host.publish(model_store.DEMO_GALLERY, tar_folder(build / "gallery" / "0", "drink_dataset_v2.0"))
        with pytest.raises(ModelDownloadError, match=r"lacks drink_dataset_v2.0/gallery/drink_label.txt"):
            model_store.fetch_demo_gallery(tmp_path / "c2", base_url=host.url, progress=False)
    finally:
        host.close()


def test_download_failure_offline_is_one_line_naming_the_url(tmp_path):
    with pytest.raises(ModelDownloadError) as caught:
        model_store.fetch_demo_gallery(tmp_path / "cache", base_url="http://127.0.0.1:9", progress=False, timeout=2)
    message = str(caught.value)
    assert "\n" not in message
    assert message == f"http://127.0.0.1:9/{model_store.DEMO_GALLERY.path}: download failed: connection refused"

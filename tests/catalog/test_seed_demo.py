"""seed_demo: a catalog folder in, products priced in fen and photos out, idempotently."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from catalog.importer import yuan_to_fen
from catalog.models import PriceChange, Product, ProductImage, Store
from tests.conftest import image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog_dir(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    (images / "a.jpg").write_bytes(image_bytes("JPEG"))
    (images / "b.jpg").write_bytes(image_bytes("PNG", color=(0, 90, 200)))  # a PNG named .jpg
    (images / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    (images / "c.jpg").write_bytes(image_bytes("JPEG", color=(10, 200, 10)))
    (tmp_path / "catalog.csv").write_text(
        "sku,name,price,image\n"
        "SC0001,可乐,3,images/a.jpg\n"
        "SC0002,Milk,12.5,images/b.jpg\n"
        "SC0003,Bad price,abc,images/c.jpg\n"
        "SC0004,Negative,-2,images/c.jpg\n"
        "SC0005,Sub-fen,1.234,images/c.jpg\n"
        "SC0006,Broken photo,4,images/broken.jpg\n"
        "SC0007,Missing photo,5,images/nope.jpg\n"
        "SC0008,Escaping path,5,../outside.jpg\n",
        encoding="utf-8",
    )
    return tmp_path


def run(catalog_dir) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", catalog=str(catalog_dir), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_seed_creates_products_in_fen_and_reports_skips(catalog_dir):
    out, err = run(catalog_dir)
    assert Store.objects.get(code="demo").name == "智能货柜·演示店"  # on the Chinese receipt, not "Demo store"
    prices = dict(Product.objects.values_list("sku", "price_fen"))
    assert prices == {"SC0001": 300, "SC0002": 1250, "SC0006": 400, "SC0007": 500, "SC0008": 500}
    assert Product.objects.get(sku="SC0001").name == "可乐"
    assert ProductImage.objects.count() == 2
    png = ProductImage.objects.get(product__sku="SC0002")
    assert png.image.name.endswith(".png") and (png.width, png.height) == (64, 48)
    assert "SC0003" in err and "not a number" in err
    assert "SC0004" in err and "non-negative" in err
    assert "SC0005" in err and "fraction of a fen" in err
    assert "SC0006" in err and "damaged" in err
    assert "SC0007" in err and "not found" in err
    assert "SC0008" in err and "not found" in err
    assert "5 created" in out and "2 added" in out and "skipped: 6" in out


def test_seed_is_idempotent_and_updates_changed_prices(catalog_dir):
    run(catalog_dir)
    out, _ = run(catalog_dir)
    assert "0 created" in out and "5 unchanged" in out and "2 already present" in out
    assert Product.objects.count() == 5 and ProductImage.objects.count() == 2

    csv_path = catalog_dir / "catalog.csv"
    csv_path.write_text(csv_path.read_text(encoding="utf-8").replace("SC0001,可乐,3,", "SC0001,可乐,3.5,"), "utf-8")
    out, _ = run(catalog_dir)
    assert "1 updated" in out
    change = PriceChange.objects.filter(product__sku="SC0001").first()
    assert (change.old_price_fen, change.new_price_fen, change.source) == (300, 350, "import")


def test_seed_reads_the_folder_from_the_sc_demo_catalog_setting(settings, catalog_dir):
    """SC_DEMO_CATALOG is a setting (environment or .env) like every other variable."""
    settings.SC_DEMO_CATALOG = str(catalog_dir)
    call_command("seed_demo", stdout=io.StringIO(), stderr=io.StringIO())
    assert Product.objects.count() == 5
    settings.SC_DEMO_CATALOG = ""
    with pytest.raises(CommandError, match="SC_DEMO_CATALOG"):
        call_command("seed_demo")


def test_seed_refuses_a_folder_without_catalog(tmp_path):
    with pytest.raises(CommandError, match=r"catalog\.csv"):
        call_command("seed_demo", catalog=str(tmp_path))
    (tmp_path / "catalog.csv").write_text("sku,name\nX,y\n")
    with pytest.raises(CommandError, match="price, image"):
        call_command("seed_demo", catalog=str(tmp_path))


@pytest.mark.parametrize(("text", "fen"), [("0", 0), ("3", 300), ("12.5", 1250), ("0.01", 1), (" 7.10 ", 710)])
def test_yuan_to_fen(text, fen):
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize("text", ["", "abc", "-1", "0.001", "NaN", "inf", "1e400"])
def test_yuan_to_fen_refuses(text):
    with pytest.raises(ValueError):
        yuan_to_fen(text)

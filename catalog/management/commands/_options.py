"""Options shared by the catalog's management commands."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError


def add_catalog_argument(parser) -> None:
    parser.add_argument(
        "--catalog",
        default=settings.SC_DEMO_CATALOG,
        help="Catalog folder (catalog.csv with sku,name,price in yuan,image + the images). Default: $SC_DEMO_CATALOG.",
    )


def require_catalog(catalog: str) -> str:
    if not catalog:
        raise CommandError("give the catalog folder with --catalog DIR or SC_DEMO_CATALOG")
    return catalog

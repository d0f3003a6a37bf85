"""Options shared by the demo's management commands (seed_demo, rundemo): where the demo store comes from."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError


def add_source_arguments(parser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--catalog",
        default=None,
        help="Catalog folder (catalog.csv with sku,name,price in yuan,image + the images). Default: $SC_DEMO_CATALOG.",
    )
    source.add_argument(
        "--paddleclas-gallery",
        metavar="DIR",
        help="A gallery in PaddleClas's layout: the image folder its label file's paths are relative to.",
    )
    parser.add_argument(
        "--label-file",
        metavar="FILE",
        help="PaddleClas label file (lines relative/path<TAB>label). Default: the one .txt in the gallery folder.",
    )


def chosen_source(options: dict) -> tuple[str, str] | None:
    """("catalog", DIR) or ("paddleclas", DIR) from the options (or SC_DEMO_CATALOG); None if nothing was given."""
    if options.get("label_file") and not options.get("paddleclas_gallery"):
        raise CommandError("--label-file goes with --paddleclas-gallery DIR")
    if options.get("paddleclas_gallery"):
        return "paddleclas", options["paddleclas_gallery"]
    catalog = options.get("catalog") or settings.SC_DEMO_CATALOG
    return ("catalog", catalog) if catalog else None

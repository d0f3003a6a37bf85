"""``manage.py seed_demo --catalog DIR``: a demo store with products and photos."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.importer import CatalogFolderError, ensure_store, import_catalog

from ._options import add_catalog_argument, require_catalog


class Command(BaseCommand):
    help = "Load a catalog folder (catalog.csv + images) into a demo store. Safe to run again."

    def add_arguments(self, parser):
        add_catalog_argument(parser)
        parser.add_argument("--store", default="demo", help="Code of the store to create (default: demo).")
        parser.add_argument("--stock", type=int, default=100, help="Stock for newly created products.")

    def handle(self, *args, catalog: str, store: str, stock: int, **options):
        require_catalog(catalog)
        if stock < 0:
            raise CommandError("--stock must be zero or more")
        ensure_store(store, "Demo store" if store == "demo" else None)
        try:
            report = import_catalog(Path(catalog), initial_stock=stock)
        except CatalogFolderError as exc:
            raise CommandError(str(exc)) from exc
        for reason in report.skipped:
            self.stderr.write(f"skipped {reason}")
        self.stdout.write(self.style.SUCCESS(report.summary()))

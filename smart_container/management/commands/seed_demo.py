"""``manage.py seed_demo``: a demo store with products and photos, from a catalog folder
(``--catalog``) or a PaddleClas gallery (``--paddleclas-gallery``); then the gallery's state."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.importer import CatalogFolderError, ensure_store, import_catalog
from catalog.paddleclas import import_paddleclas_gallery
from gallery import services as gallery_services
from gallery.selectors import summary_lines
from recognition.conf import model_status

from ._demo_options import add_source_arguments, chosen_source


class Command(BaseCommand):
    help = "Load a catalog folder or a PaddleClas gallery into a demo store. Safe to run again."

    def add_arguments(self, parser):
        add_source_arguments(parser)
        parser.add_argument("--store", default="demo", help="Code of the store to create (default: demo).")
        parser.add_argument("--stock", type=int, default=100, help="Stock for newly created products.")

    def handle(self, *args, store: str, stock: int, **options):
        source = chosen_source(options)
        if source is None:
            raise CommandError("give the demo data with --catalog DIR (or SC_DEMO_CATALOG) or --paddleclas-gallery DIR")
        if stock < 0:
            raise CommandError("--stock must be zero or more")
        ensure_store(store, "智能货柜·演示店" if store == "demo" else None)  # what its Chinese customers read
        kind, folder = source
        try:
            if kind == "catalog":
                report = import_catalog(Path(folder), initial_stock=stock)
            else:
                label_file = Path(options["label_file"]) if options.get("label_file") else None
                report = import_paddleclas_gallery(Path(folder), label_file, initial_stock=stock)
        except CatalogFolderError as exc:
            raise CommandError(str(exc)) from exc
        for reason in report.skipped:
            self.stderr.write(f"skipped {reason}")
        self.stdout.write(self.style.SUCCESS(report.summary()))
        self.retry_photos()

    def retry_photos(self) -> None:
        """Once the models are there, no photo stays failed or pending from a start without them."""
        missing = [str(m["path"]) for m in model_status().values() if not m["present"]]
        if missing:
            self.stderr.write(f"recognition models not found ({', '.join(missing)}): photos are embedded once they are")
        else:
            retried = gallery_services.retry_unindexed()
            if retried.queued:
                self.stdout.write(
                    f"queued {retried.queued} photos for embedding again ({retried.failed} failed, "
                    f"{retried.pending} pending)"
                )
        for line in summary_lines():
            self.stdout.write(line)

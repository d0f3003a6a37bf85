"""``manage.py rundemo``: the embedded product with a demo store, in one command.

Migrates, installs the beat schedules, makes sure an admin account exists, fetches the
official models when they are not there, seeds the demo store (from ``--catalog``,
``--paddleclas-gallery`` or, with neither, PaddleClas's own PP-ShiTuV2 demo gallery, downloaded
once), embeds its photos, starts the development WeChat fake so checkout works end to end,
and serves.  Every step is idempotent, so it is also how a developer restarts the demo.
"""

from __future__ import annotations

import logging
import secrets
from io import StringIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from recognition import downloads, runtime
from recognition.conf import model_status

from ._demo_options import add_source_arguments, chosen_source

DEMO_DATA_LOCAL_COPY = (
    "for a local copy pass --catalog DIR (catalog.csv + photos, e.g. ../shared/datasets/retail_catalog) "
    "or --paddleclas-gallery DIR, or set SC_DEMO_CATALOG"
)


class Command(BaseCommand):
    help = "Run the product on the embedded default with a demo store (models, migrate, admin, seed, serve)."

    def add_arguments(self, parser):
        add_source_arguments(parser)
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="Where to serve (default 127.0.0.1:8000).")
        parser.add_argument("--no-serve", action="store_true", help="Prepare everything, then exit.")
        parser.add_argument("--no-fetch", action="store_true", help="Download nothing (models, demo gallery).")
        parser.add_argument("--no-wechat-fake", action="store_true", help="Do not start the development WeChat fake.")

    def handle(self, *args, addrport: str, no_serve: bool, no_fetch: bool, no_wechat_fake: bool, **options):
        source = chosen_source(options)  # refuses bad combinations before anything is done
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)  # not a line per in-process task
        call_command("migrate", interactive=False, verbosity=0)
        call_command("setup_schedules", stdout=StringIO())
        username, password = self._ensure_admin()
        if not no_fetch:
            self._fetch_models()
        seed = {"catalog": None, "paddleclas_gallery": None, "label_file": options.get("label_file")}
        if source is None:
            if no_fetch:
                raise CommandError(f"no demo data: {DEMO_DATA_LOCAL_COPY}")
            images, labels = self._fetch_demo_gallery()
            seed.update(paddleclas_gallery=str(images), label_file=str(labels))
        else:
            seed["catalog" if source[0] == "catalog" else "paddleclas_gallery"] = source[1]
        call_command("seed_demo", **seed, stdout=self.stdout, stderr=self.stderr)
        runtime.preload()  # models built and warmed before "ready": the first photo costs what later ones do
        self.stdout.write(
            self.style.SUCCESS(f"Admin: http://{addrport}/admin/  user {username!r}  password {password!r}")
        )
        self.stdout.write(f"Back office: http://{addrport}/backoffice/   checkout page: http://{addrport}/checkout/")
        self.stdout.write(f"API docs: http://{addrport}/api/docs/   health: http://{addrport}/healthz")
        if no_serve:
            return
        fake = None if no_wechat_fake or settings.WECHAT_APP_ID else self._start_wechat_fake(addrport)
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            if fake is not None:
                fake.stop()

    def _fetch_models(self) -> None:
        """The official models, downloaded (progress bar, checksum) into SHITU_MODEL_CACHE when missing."""
        if all(m["present"] for m in model_status().values()):
            return
        if settings.SHITU_DET_MODEL_DIR or settings.SHITU_REC_MODEL_DIR:
            return  # folders given explicitly: seed_demo says which one is missing
        self.stdout.write(f"Fetching the PP-ShiTuV2 models from {downloads.base_url()} ...")
        try:
            for result in downloads.fetch_models():
                self.stdout.write(downloads.describe(result))
        except downloads.DownloadFailed as exc:
            raise CommandError(str(exc)) from None

    def _fetch_demo_gallery(self):
        self.stdout.write(f"Fetching PaddleClas's PP-ShiTuV2 demo gallery from {downloads.base_url()} ...")
        try:
            return downloads.fetch_demo_gallery(local_copy_hint=DEMO_DATA_LOCAL_COPY)
        except downloads.DownloadFailed as exc:
            raise CommandError(str(exc)) from None

    def _start_wechat_fake(self, addrport: str):
        """The development WeChat (login + Pay v3) on a free port, and this process's settings pointed at it."""
        from wechat_fake.dev import start_dev_wechat

        host, _, port = addrport.rpartition(":")
        host = "127.0.0.1" if host in ("", "0.0.0.0", "[::]") else host.strip("[]")
        fake = start_dev_wechat(settings.VAR_DIR / "wechat_fake", f"http://{host}:{port}")
        for name, value in fake.settings.items():
            setattr(settings, name, value)
        self.stdout.write(
            self.style.WARNING(
                f"DEVELOPMENT ONLY: fake WeChat login + WeChat Pay on {fake.base_url} (started by rundemo, "
                "stops with it; set WECHAT_APP_ID to use the real WeChat)."
            )
        )
        return fake

    def _ensure_admin(self) -> tuple[str, str]:
        """The demo admin's password comes from DEMO_ADMIN_PASSWORD, else one generated once and kept in var/."""
        username, password = settings.DEMO_ADMIN_USER, settings.DEMO_ADMIN_PASSWORD
        if not password:
            path = settings.VAR_DIR / "demo_admin_password"
            if not path.exists():
                path.write_text(secrets.token_urlsafe(12))
                path.chmod(0o600)
            password = path.read_text().strip()
        user, _ = get_user_model().objects.get_or_create(username=username, defaults={"email": ""})
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        return username, password

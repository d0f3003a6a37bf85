"""``manage.py rundemo``: the embedded product with a demo store, in one command.

Migrates, installs the beat schedules, makes sure an admin account exists, seeds the demo
store from a catalog folder (its photos are embedded into the gallery when the models are
there) and serves on 127.0.0.1:8000.  Every step is idempotent, so it is also how a
developer restarts the demo.
"""

from __future__ import annotations

import secrets
from io import StringIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from catalog.management.commands._options import add_catalog_argument, require_catalog
from recognition import runtime
from recognition.conf import model_status


class Command(BaseCommand):
    help = "Run the product on the embedded default with a demo store (migrate, admin, seed, serve)."

    def add_arguments(self, parser):
        add_catalog_argument(parser)
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="Where to serve (default 127.0.0.1:8000).")
        parser.add_argument("--no-serve", action="store_true", help="Prepare everything, then exit.")

    def handle(self, *args, catalog: str, addrport: str, no_serve: bool, **options):
        require_catalog(catalog)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("setup_schedules", stdout=StringIO())
        username, password = self._ensure_admin()
        models = model_status()
        if not all(m["present"] for m in models.values()):
            self.stderr.write(
                "Recognition models not found (" + ", ".join(str(m["path"]) for m in models.values()) + "): "
                "run `manage.py shitu fetch-models` or set SHITU_MODEL_CACHE; photos are embedded once they are there."
            )
        call_command("seed_demo", catalog=catalog, stdout=self.stdout, stderr=self.stderr)
        runtime.preload()  # models built and warmed before "ready": the first photo costs what later ones do
        self.stdout.write(
            self.style.SUCCESS(f"Admin: http://{addrport}/admin/  user {username!r}  password {password!r}")
        )
        self.stdout.write(f"Back office: http://{addrport}/backoffice/   checkout page: http://{addrport}/checkout/")
        self.stdout.write(f"API docs: http://{addrport}/api/docs/   health: http://{addrport}/healthz")
        if not no_serve:
            call_command("runserver", addrport, use_reloader=False)

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

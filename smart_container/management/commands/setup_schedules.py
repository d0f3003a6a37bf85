from django.core.management.base import BaseCommand

from smart_container.schedules import install_schedules


class Command(BaseCommand):
    help = "Create the Celery beat schedules (idempotent; keeps staff's edits unless --reset)."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Put every schedule back to its default timing.")

    def handle(self, *args, reset: bool = False, **options):
        for name, what in install_schedules(reset=reset):
            self.stdout.write(f"{what:8} {name}")

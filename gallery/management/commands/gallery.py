"""``manage.py gallery``: the gallery's state and repairs, for staff at a shell.

Subcommands: ``status`` (counts and every failure reason) and ``retry-failed`` (queue every
failed or pending photo for embedding again, e.g. after installing the models).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from gallery import services
from gallery.selectors import summary_lines


class Command(BaseCommand):
    help = "Gallery status and repairs: status, retry-failed."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        sub.add_parser("status", help="photos indexed, pending and failed, with the reasons")
        sub.add_parser("retry-failed", help="queue every failed or pending photo for embedding again")

    def handle(self, *args, subcommand: str, **options):
        if subcommand == "retry-failed":
            retried = services.retry_unindexed()
            self.stdout.write(
                f"queued {retried.queued} photos for embedding ({retried.failed} failed, {retried.pending} pending)"
            )
        for line in summary_lines():
            self.stdout.write(line)

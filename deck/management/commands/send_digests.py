from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from deck.digest.sending import send_due
from deck.models import DigestSubscription


class Command(BaseCommand):
    help = "Send every email digest that is due now; with --frequency, every digest of that frequency now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--frequency",
            choices=[DigestSubscription.Frequency.DAILY, DigestSubscription.Frequency.WEEKLY],
            default="",
            help="Send all digests of this frequency whose current period has none yet, whatever the hour.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_due(now=timezone.now(), frequency=options["frequency"])
        self.stdout.write(f"Sent {sent} digest{'s' if sent != 1 else ''}.")

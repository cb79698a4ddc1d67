from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"


class Command(BaseCommand):
    help = "Load the bundled sample of real arXiv papers. Safe to run again: it never loads anything twice."

    def handle(self, *args: Any, **options: Any) -> None:
        files = sorted(SAMPLE_DIR.glob("*.xml"))
        call_command("import_arxiv", *files, verbosity=options["verbosity"], stdout=self.stdout, stderr=self.stderr)

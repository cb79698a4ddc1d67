from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from papers.harvest import mark_announced
from papers.parsers import parse_document
from papers.records import ArxivParseError
from papers.services import ImportResult, import_page


class Command(BaseCommand):
    help = "Import arXiv API, RSS or OAI-PMH responses from files. The format of each file is detected."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args: Any, files: list[Path], verbosity: int = 1, **options: Any) -> None:
        total = ImportResult()
        failed: list[str] = []
        for path in tqdm(files, desc="Importing", unit="file", disable=verbosity < 1):
            try:
                page = parse_document(path.read_bytes())
            except (OSError, ArxivParseError) as error:
                # Parsing happens before any write, so a bad file imports nothing.
                failed.append(f"{path}: {error}")
                self.stderr.write(f"{path}: cannot import: {error}")
                continue
            for warning in page.warnings:
                self.stderr.write(f"{path}: warning: {warning}")
            result = import_page(page=page)
            if page.format == "rss":
                mark_announced(records=page.records, day=page.announced_on)
            total += result
            if verbosity > 1 or len(files) > 1:
                self.stdout.write(f"{path.name} ({page.format}): {result}")
        self.stdout.write(str(total))
        if failed:
            raise CommandError(f"{len(failed)} file(s) could not be imported:\n" + "\n".join(failed))

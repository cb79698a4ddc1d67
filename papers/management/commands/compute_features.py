from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from papers.features.store import BATCH, compute_features, missing_or_stale


class Command(BaseCommand):
    help = "Compute the ranking features of papers that have none (or an older recipe's)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        ids = list(missing_or_stale())
        done = 0
        with tqdm(total=len(ids), unit="paper", disable=options["quiet_progress"] or not ids) as bar:
            for start in range(0, len(ids), BATCH):
                done += compute_features(paper_ids=ids[start : start + BATCH])
                bar.update(min(BATCH, len(ids) - start))
        self.stdout.write(f"features computed for {done} papers")

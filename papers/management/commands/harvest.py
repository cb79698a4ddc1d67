from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from papers import harvest
from papers.models import Category, HarvestRun


def _date(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Harvest new arXiv papers now, with the same service the Celery tasks run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--category",
            action="append",
            default=[],
            metavar="CODE",
            help="Harvest only this category (repeatable). Default: every offered category, and the listing.",
        )
        parser.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="Harvest from this day on.")

    def handle(
        self, *args: Any, category: list[str], since: datetime | None, verbosity: int = 1, **options: Any
    ) -> None:
        categories = self._categories(category)
        failed = []
        for cat in categories:
            with tqdm(desc=cat.code, unit=" entries", disable=verbosity < 1) as bar:

                def progress(run: HarvestRun, bar: tqdm = bar) -> None:
                    bar.update(run.entries - bar.n)

                try:
                    run = harvest.harvest_category(category_id=cat.pk, since=since, progress=progress)
                except harvest.HarvestAlreadyRunning as error:
                    self.stderr.write(f"{cat.code}: skipped, {error}")
                    continue
            self._report(cat.code, run)
            if run.status != HarvestRun.Status.OK:
                failed.append(cat.code)
        if not category:
            run = harvest.harvest_listing()
            self._report("listing", run)
            if run.status != HarvestRun.Status.OK:
                failed.append("listing")
        if failed:
            raise CommandError(f"harvest failed for: {', '.join(failed)}")

    def _categories(self, codes: list[str]) -> list[Category]:
        if not codes:
            return list(Category.objects.offered())
        found = {c.code: c for c in Category.objects.filter(code__in=codes)}
        if missing := [code for code in codes if code not in found]:
            raise CommandError(f"unknown category: {', '.join(missing)}")
        return [found[code] for code in codes]

    def _report(self, label: str, run: HarvestRun) -> None:
        line = (
            f"{label}: {run.status}, {run.requests} requests, {run.entries} entries, created {run.created}, "
            f"updated {run.updated}, unchanged {run.unchanged}"
        )
        self.stdout.write(line + (f" ({run.error})" if run.error else ""))

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from deck.ranking import log_evaluation
from deck.ranking.evaluation import CHECKPOINTS, evaluate

DOC = Path(__file__).resolve().parents[3] / "docs" / "ranking.md"
MARKS = "<!-- evaluate_ranking{}:start -->", "<!-- evaluate_ranking{}:end -->"


class Command(BaseCommand):
    help = (
        "Replay simulated readers on the bundled real arXiv papers (or, --from-log, the real decisions) and "
        "compare deck orders."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--readers-per-kind", type=int, default=5, help="Tastes of each kind (topic, authors, niche)."
        )
        parser.add_argument("--runs", type=int, default=3, help="Random seeds per reader.")
        parser.add_argument("--noise", type=float, default=0.1, help="Share of decisions against the taste.")
        parser.add_argument("--write", action="store_true", help=f"Write the table into {DOC.name}.")
        parser.add_argument("--quick", action="store_true", help="Up to 20 decisions only (for CI).")
        parser.add_argument(
            "--anchor", action="store_true", help="Only the 1,000 arXivRaw records, keyword and cross-list tastes."
        )
        parser.add_argument(
            "--online", action="store_true", help="Also the checkpointed loop: refits now and then, updates between."
        )
        parser.add_argument(
            "--semantic",
            action="store_true",
            help="Readers who like the papers nearest a few hidden exemplars by MiniLM (stored beside the samples).",
        )
        parser.add_argument(
            "--word-embedding", action="store_true", help="Also the ranker with wordllama's static word embedding."
        )
        parser.add_argument(
            "--from-log",
            action="store_true",
            help="Replay the real decisions of every reader with at least 50 (trained before a time split, "
            "scored after) instead of simulated readers.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["from_log"]:
            self.stdout.write(log_evaluation.render(log_evaluation.evaluate_log()))
            return
        result = evaluate(
            readers_per_kind=options["readers_per_kind"],
            runs=options["runs"],
            noise=options["noise"],
            checkpoints=(5, 10, 20) if options["quick"] else CHECKPOINTS,
            anchor=options["anchor"],
            online=options["online"],
            semantic=options["semantic"],
            word_embedding=options["word_embedding"],
        )
        table = render(result)
        self.stdout.write(table)
        if options["write"]:
            variant = "".join(f":{v}" for v in ("anchor", "online", "semantic", "word_embedding") if options[v])
            variant = variant.replace("_", "-")
            start, end = (mark.format(variant) for mark in MARKS)
            text = DOC.read_text(encoding="utf-8")
            block = f"{start}\n{table}\n{end}"
            DOC.write_text(re.sub(f"{re.escape(start)}.*?{re.escape(end)}", lambda _: block, text, flags=re.S))
            self.stdout.write(f"written to {DOC}")


def render(result: dict[str, Any]) -> str:
    checkpoints = result["checkpoints"]
    header = "| order | " + " | ".join(f"after {c}" for c in checkpoints) + " | 3 seed papers, no decision |"
    lines = [
        f"{result['papers']:,} real arXiv papers, {len(result['readers'])} simulated readers, "
        f"{result['runs']} runs each, {result['noise']:.0%} noise. Keep-rate of the next 10 cards after N decisions:",
        "",
        header,
        "|---|" + "---|" * (len(checkpoints) + 1),
    ]
    for name, rows in result["table"].items():
        cells = " | ".join(f"{rows[c]:.2f}" for c in checkpoints)
        lines.append(f"| {name} | {cells} | {result['cold'][name]:.2f} |")
    lines += ["", "Readers: " + "; ".join(result["readers"]) + "."]
    return "\n".join(lines)

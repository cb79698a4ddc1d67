"""docs/benchmarks.md from docs/benchmarks.json: the machine, a table of every figure against its target
for each scale measured, and the plan of the next-card query at the largest scale."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Figure = tuple[str, str, Callable[[dict[str, Any]], float | None], Callable[[float], bool], str]


def _below(limit: float) -> Callable[[float], bool]:
    return lambda value: value <= limit


def _export(fmt: str) -> Callable[[dict[str, Any]], float]:
    return lambda r: r["exports"][fmt]["p50_ms"]


FIGURES: list[Figure] = [
    ("next card (`/deck/cards/`), p99", "≤ 15 ms", lambda r: r["next_card"]["p99_ms"], _below(15), "{:.1f} ms"),
    ("next card, p50 / p95", "", lambda r: None, _below(1e9), ""),
    ("deck page (`/`), p99", "", lambda r: r["deck_page"]["p99_ms"], _below(1e9), "{:.1f} ms"),
    ("decision POST, p99", "≤ 25 ms", lambda r: r["decision_post"]["p99_ms"], _below(25), "{:.1f} ms"),
    ("SQL queries, most on any page", "≤ 6", lambda r: max(r["queries"].values()), _below(6), "{:.0f}"),
    ("deck / bare view throughput", "≥ 0.5", lambda r: r["throughput"]["ratio"], lambda v: v >= 0.5, "{:.2f}"),
    ("parse + upsert of 2,000 entries / 3 s", "≤ 0.5", lambda r: r["ingest"]["of_interval"], _below(0.5), "{:.2f}"),
    ("export of 2,000 papers, BibTeX, p50", "≤ 200 ms", _export("bibtex"), _below(200), "{:.0f} ms"),
    ("export of 2,000 papers, RIS, p50", "≤ 200 ms", _export("ris"), _below(200), "{:.0f} ms"),
    ("export of 2,000 papers, CSL-JSON, p50", "≤ 200 ms", _export("csl-json"), _below(200), "{:.0f} ms"),
    ("seeding (`seed_bench`)", "≤ 10 min at 1M", lambda r: r["seed_s"], _below(600), "{:.0f} s"),
]


INDEXES = """\
- `deck_card_rank_idx` (user, rank) on `DeckCard`: the next-card query is one range scan of the reader's
  queue in rank order, `LIMIT 15`; without it PostgreSQL would sort the reader's 300 rows each time.
- `swipe_paper_user_idx` (paper, user) on `Swipe`: the NOT EXISTS that drops cards decided since the
  queue was built probes it once per card, an index-only lookup; the unique (user, paper) constraint
  keeps a decision stored once.
- `papers_paper_pkey` and `papers_category` keys: the cards and their categories, by primary key.
- `paper_deck_idx` (-listed_at, -id): the deck before the ranker has run, and the ranker's own
  candidate scan, walk it newest first and stop at the limit.
- `papers_paper_announced_on` (announced_on): the progress line counts the latest announcement's papers.
- `swipe_history_idx` (user, -created_at, -id): /history/ and undo read a reader's decisions newest first.
"""


def _scale(result: dict[str, Any]) -> str:
    return f"{result['scale']['papers']:,} papers, {result['scale']['decisions']:,} decisions"


def render(data: dict[str, Any]) -> str:
    machine = data["machine"]
    scales = sorted(data["scales"].values(), key=lambda r: (r["scale"]["papers"], r["scale"]["decisions"]))
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/bench_scale.py`); do not edit by hand. `BENCH_PAPERS=1000000",
        "BENCH_DECISIONS=100000 make bench` measures at that scale; each scale keeps its own column.",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB; Python "
        f"{machine['python']}, Django {machine['django']}, PostgreSQL {machine['postgresql']}, Redis "
        f"{machine['redis']}, psycopg {machine['psycopg']}.",
        "",
        "Server time in process with real SQL on PostgreSQL (the test client), for the heaviest reader: 5",
        "followed categories, the decisions on the newest papers of those categories, so that everything",
        "unseen lies behind them. Throughput: gunicorn (`gunicorn.conf.py`) on loopback, driven by",
        "`wrk -t2 -c16` for 10 s, GET / against a login-required view that does nothing, same server, same run.",
        "",
        "| figure | target | " + " | ".join(_scale(r) for r in scales) + " |",
        "|---|---|" + "---|" * len(scales),
    ]
    for label, target, read, meets, fmt in FIGURES:
        cells = []
        for result in scales:
            if label.startswith("next card, p50"):
                cells.append(f"{result['next_card']['p50_ms']:.1f} / {result['next_card']['p95_ms']:.1f} ms")
                continue
            try:
                value = read(result)
            except (KeyError, TypeError):
                cells.append("—")
                continue
            if value is None:
                cells.append("—")
                continue
            mark = "" if not target else (" ✓" if meets(value) else " ✗")
            cells.append(fmt.format(value) + mark)
        lines.append(f"| {label} | {target} | " + " | ".join(cells) + " |")
    lines += ["", "SQL queries per page (a repeated visit: the reader's settings come from the cache):", ""]
    lines.append("| page | " + " | ".join(f"{r['scale']['papers']:,}" for r in scales) + " |")
    lines.append("|---|" + "---|" * len(scales))
    for page in scales[-1]["queries"]:
        lines.append(f"| {page} | " + " | ".join(str(r["queries"].get(page, "—")) for r in scales) + " |")
    largest = scales[-1]
    ingest = largest["ingest"]
    lines += [
        "",
        f"Ingest at {largest['scale']['papers']:,} papers: parse {ingest['parse_s']:.2f} s + upsert "
        f"{ingest['upsert_s']:.2f} s for a 2,000-entry API page; the ranker's features for those 2,000 papers "
        f"take {ingest['features_s']:.2f} s more, in their own task.",
        "",
        f"## The next-card query at {largest['scale']['papers']:,} papers",
        "",
        "`EXPLAIN (ANALYZE, BUFFERS)` of the query that reads the reader's ranked queue with its papers:",
        "",
        "```",
        largest["explain_next_card"],
        "```",
        "",
        "Why each index the deck relies on exists:",
        "",
        INDEXES,
    ]
    return "\n".join(lines) + "\n"

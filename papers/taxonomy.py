"""The arXiv category taxonomy, loaded from arXiv's own definitions (papers/data/taxonomy.csv)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

TAXONOMY_CSV = Path(__file__).parent / "data" / "taxonomy.csv"

# Offered to users on a new site until an admin curates the list.
DEFAULT_OFFERED = frozenset(
    {"cs.AI", "cs.CL", "cs.CV", "cs.CY", "cs.LG", "cs.SE", "stat.ML", "quant-ph", "hep-th", "math.AP", "astro-ph.CO"}
)


def read_taxonomy(path: Path = TAXONOMY_CSV) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def sync_taxonomy(category_model: Any, path: Path = TAXONOMY_CSV) -> int:
    """Create or refresh every category; returns how many were created.

    Takes the model as an argument so that the data migration can pass its historical model.
    Admin choices (is_active) are never overwritten on existing rows.
    """
    rows = read_taxonomy(path)
    existing = {c.code: c for c in category_model.objects.all()}
    created = 0
    for row in rows:
        values = {
            "name": row["name"],
            "archive": row["archive"],
            "archive_name": row["archive_name"],
            "group": row["group"].removeprefix("grp_"),
            "group_name": row["group_name"],
            "in_taxonomy": row["is_active"] == "True",
        }
        category = existing.get(row["category"])
        if category is None:
            category = category_model(code=row["category"], is_active=row["category"] in DEFAULT_OFFERED, **values)
            created += 1
        else:
            for key, value in values.items():
                setattr(category, key, value)
        category.save()
        existing[category.code] = category
    for row in rows:
        if row["alias_of_canonical"]:
            alias = existing[row["category"]]
            alias.alias_of = existing[row["alias_of_canonical"]]
            alias.save(update_fields=["alias_of"])
    return created

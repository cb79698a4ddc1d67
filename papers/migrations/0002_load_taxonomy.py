"""Load arXiv's category taxonomy as it stood when this migration was written.

Frozen: the data is the copy in data/taxonomy_0002.csv and the code is below, so that later edits to
papers/taxonomy.py or papers/data/taxonomy.csv never change what this migration did.
"""

import csv
from pathlib import Path

from django.db import migrations

TAXONOMY_CSV = Path(__file__).parent / "data" / "taxonomy_0002.csv"
DEFAULT_OFFERED = {
    "cs.AI", "cs.CL", "cs.CV", "cs.CY", "cs.LG", "cs.SE", "stat.ML", "quant-ph", "hep-th", "math.AP", "astro-ph.CO",
}


def load_taxonomy(apps, schema_editor):
    Category = apps.get_model("papers", "Category")
    with TAXONOMY_CSV.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    existing = {c.code: c for c in Category.objects.all()}
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
            category = Category(code=row["category"], is_active=row["category"] in DEFAULT_OFFERED, **values)
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


class Migration(migrations.Migration):
    dependencies = [("papers", "0001_initial")]

    operations = [migrations.RunPython(load_taxonomy, migrations.RunPython.noop)]

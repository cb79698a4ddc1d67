from django.db import migrations

from papers.taxonomy import sync_taxonomy


def load_taxonomy(apps, schema_editor):  # noqa: ANN001, ANN201
    sync_taxonomy(apps.get_model("papers", "Category"))


class Migration(migrations.Migration):
    dependencies = [("papers", "0001_initial")]

    operations = [migrations.RunPython(load_taxonomy, migrations.RunPython.noop)]

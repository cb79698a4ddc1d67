"""A keep remembers the very entry it created, so undo never takes out one the user saved by hand."""

import django.db.models.deletion
from django.db import migrations, models


def link_entries(apps, schema_editor):
    Swipe = apps.get_model("accounts", "Swipe")
    ReadingListEntry = apps.get_model("accounts", "ReadingListEntry")
    entry = ReadingListEntry.objects.filter(
        reading_list__user=models.OuterRef("user"), reading_list__is_default=True, paper=models.OuterRef("paper")
    ).values("pk")[:1]
    Swipe.objects.filter(filled_list=True).update(list_entry=models.Subquery(entry))


def unlink_entries(apps, schema_editor):
    Swipe = apps.get_model("accounts", "Swipe")
    Swipe.objects.filter(list_entry__isnull=False).update(filled_list=True)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_swipe_filled_list")]

    operations = [
        migrations.AddField(
            model_name="swipe",
            name="list_entry",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="accounts.readinglistentry",
            ),
        ),
        migrations.RunPython(link_entries, unlink_entries),
    ]

"""Every user has a default "Reading list" from here on: the views no longer create one lazily.

Frozen: the name and slug are written out here, as they were when this migration was written.
"""

from django.db import migrations


def create_missing_default_lists(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    ReadingList = apps.get_model("library", "ReadingList")
    without = User.objects.exclude(pk__in=ReadingList.objects.filter(is_default=True).values("user_id"))
    for user in without.iterator():
        taken = set(ReadingList.objects.filter(user=user).values_list("slug", flat=True))
        slug, n = "reading-list", 2
        while slug in taken:
            slug, n = f"reading-list-{n}", n + 1
        ReadingList.objects.create(user=user, name="Reading list", slug=slug, is_default=True)


class Migration(migrations.Migration):
    dependencies = [("library", "0001_initial"), ("accounts", "0008_move_swipes_and_lists_out")]

    operations = [migrations.RunPython(create_missing_default_lists, migrations.RunPython.noop)]

"""Swipe went to deck, ReadingList and ReadingListEntry to library: the accounts app forgets them.

State only: the tables stay as they are and now belong to the new apps' models. Their content types
follow them, so admin history and permissions keep pointing at the right models.
"""

from django.db import migrations

MOVED = {"swipe": "deck", "readinglist": "library", "readinglistentry": "library"}


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model, app_label in MOVED.items():
        if not ContentType.objects.filter(app_label=app_label, model=model).exists():
            ContentType.objects.filter(app_label="accounts", model=model).update(app_label=app_label)


def move_content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model, app_label in MOVED.items():
        if not ContentType.objects.filter(app_label="accounts", model=model).exists():
            ContentType.objects.filter(app_label=app_label, model=model).update(app_label="accounts")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_remove_swipe_filled_list"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("deck", "0001_initial"),
        ("library", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.RemoveField(
            model_name='readinglistentry',
            name='reading_list',
        ),
        migrations.RemoveField(
            model_name='readinglistentry',
            name='paper',
        ),
        migrations.RemoveField(
            model_name='swipe',
            name='list_entry',
        ),
        migrations.RemoveField(
            model_name='swipe',
            name='paper',
        ),
        migrations.RemoveField(
            model_name='swipe',
            name='user',
        ),
        migrations.DeleteModel(
            name='ReadingList',
        ),
        migrations.DeleteModel(
            name='ReadingListEntry',
        ),
        migrations.DeleteModel(
            name='Swipe',
        ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]

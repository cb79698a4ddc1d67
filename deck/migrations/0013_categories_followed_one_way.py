"""A category is followed one way, in User.followed_categories: the follows kept as an Interest of kind
category become followed categories (every one whose category exists), and the Interest rows go. Mutes of
a category stay Interests."""

from django.db import migrations


def follows_to_followed_categories(apps, schema_editor):
    Interest = apps.get_model("deck", "Interest")
    Category = apps.get_model("papers", "Category")
    User = apps.get_model("accounts", "User")
    follows = Interest.objects.filter(kind="category", stance="follow")
    codes = {code: pk for code, pk in Category.objects.values_list("code", "pk")}
    User.followed_categories.through.objects.bulk_create(
        [
            User.followed_categories.through(user_id=follow.user_id, category_id=codes[follow.value])
            for follow in follows
            if follow.value in codes
        ],
        ignore_conflicts=True,
    )
    follows.filter(value__in=list(codes)).delete()


class Migration(migrations.Migration):
    dependencies = [("deck", "0012_not_now"), ("papers", "0010_author_keys"), ("accounts", "0009_user_time_zone")]

    operations = [migrations.RunPython(follows_to_followed_categories, migrations.RunPython.noop)]

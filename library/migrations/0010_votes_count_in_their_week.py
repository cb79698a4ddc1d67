from datetime import timedelta

from django.db import migrations, models


def fill_weeks(apps, schema_editor):
    Vote = apps.get_model("library", "Vote")
    for vote in Vote.objects.all().only("pk", "cast_at"):
        day = vote.cast_at.date()  # stored in UTC
        Vote.objects.filter(pk=vote.pk).update(week=day - timedelta(days=day.weekday()))


class Migration(migrations.Migration):
    dependencies = [("library", "0009_club_email_schedule")]

    operations = [
        migrations.RemoveConstraint(model_name="vote", name="one_vote_per_member_and_entry"),
        migrations.RemoveIndex(model_name="vote", name="vote_cast_at_idx"),
        migrations.AddField(model_name="vote", name="week", field=models.DateField(null=True)),
        migrations.RunPython(fill_weeks, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="vote",
            name="week",
            field=models.DateField(help_text="The Monday (UTC) of the week the vote counts in."),
        ),
        migrations.AddConstraint(
            model_name="vote",
            constraint=models.UniqueConstraint(
                fields=("entry", "user", "week"), name="one_vote_per_member_entry_and_week"
            ),
        ),
        migrations.AddIndex(model_name="vote", index=models.Index(fields=["week"], name="vote_week_idx")),
    ]

from django.db import migrations

CLUB = "Journal club picks of last week"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # Hourly at a quarter past, off the digests' hour: the first tick of a week sends the last one's picks,
    # and a later tick makes up for any missed during downtime.
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="15", hour="*", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.get_or_create(name=CLUB, defaults={"task": "library.tasks.send_club_emails", "crontab": crontab})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=CLUB).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0008_group_lists_comments_votes_invitations"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]

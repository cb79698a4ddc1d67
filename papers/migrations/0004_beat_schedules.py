from django.db import migrations

DAILY = "arXiv harvest after the announcement"
CATCH_UP = "arXiv catch-up harvest"
# Frozen at the default of ARXIV_CATCHUP_HOURS when this was written; admins edit the schedule after.
CATCH_UP_HOURS = 6


def create_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # arXiv announces at 20:00 US Eastern, Sunday to Thursday (0 is Sunday).
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="20", day_of_week="0-4", day_of_month="*", month_of_year="*", timezone="America/New_York"
    )
    interval, _ = IntervalSchedule.objects.get_or_create(every=CATCH_UP_HOURS, period="hours")
    PeriodicTask.objects.get_or_create(name=DAILY, defaults={"task": "papers.tasks.harvest_all", "crontab": crontab})
    PeriodicTask.objects.get_or_create(
        name=CATCH_UP, defaults={"task": "papers.tasks.harvest_all", "interval": interval}
    )


def remove_schedules(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[DAILY, CATCH_UP]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0003_harvesting"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]

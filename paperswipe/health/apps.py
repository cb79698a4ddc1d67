from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "paperswipe.health"
    label = "health"
    verbose_name = "Health"

    def ready(self) -> None:
        from celery.signals import before_task_publish
        from django.db.models.signals import post_save

        from deck.models import QueueStamp
        from deck.signals import digest_failed

        from . import receivers

        # Every process that queues tasks (web, worker, beat) loads the apps, so every message gets its time.
        before_task_publish.connect(receivers.stamp_publish_time, dispatch_uid="health.published_at")
        post_save.connect(receivers.queue_rebuilt, sender=QueueStamp, dispatch_uid="health.queue_rebuilt")
        digest_failed.connect(receivers.digest_failed, dispatch_uid="health.digest_failed")

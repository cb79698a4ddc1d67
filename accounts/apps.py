from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from .models import User
        from .services import create_default_list

        post_save.connect(create_default_list, sender=User, dispatch_uid="accounts.default_list")

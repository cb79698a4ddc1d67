from django.apps import AppConfig


class DeckConfig(AppConfig):
    name = "deck"

    def ready(self) -> None:
        from accounts.data_export import register

        from .selectors import decisions_for_export

        register("decisions", decisions_for_export)

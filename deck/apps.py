from django.apps import AppConfig


class DeckConfig(AppConfig):
    name = "deck"

    def ready(self) -> None:
        from accounts.data_export import register

        from .selectors import decisions_for_export, digest_for_export

        register("decisions", decisions_for_export)
        register("email_digest", digest_for_export)

        from django.db.models.signals import m2m_changed

        from accounts.models import User
        from papers.signals import features_computed

        from . import receivers

        m2m_changed.connect(
            receivers.categories_changed, sender=User.followed_categories.through, dispatch_uid="deck.categories"
        )
        features_computed.connect(receivers.papers_arrived, dispatch_uid="deck.papers_arrived")

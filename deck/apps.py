from django.apps import AppConfig


class DeckConfig(AppConfig):
    name = "deck"

    def ready(self) -> None:
        from accounts.data_export import register

        from . import selectors

        # Every row a reader's use of the deck made is theirs to download.
        register("decisions", selectors.decisions_for_export)
        register("interests", selectors.interests_for_export)
        register("seed_papers", selectors.seeds_for_export)
        register("deck_settings", selectors.deck_settings_for_export)
        register("deck_queue", selectors.queue_for_export)
        register("email_digest", selectors.digest_for_export)
        register("digests_sent", selectors.digests_sent_for_export)
        register("reader_model", selectors.reader_model_for_export)

        from django.db.models.signals import m2m_changed

        from accounts.models import User
        from library.groups.panels import panels
        from papers.signals import features_computed

        from . import group_keeps, receivers

        panels.append(group_keeps.panel)

        m2m_changed.connect(
            receivers.categories_changed, sender=User.followed_categories.through, dispatch_uid="deck.categories"
        )
        features_computed.connect(receivers.papers_arrived, dispatch_uid="deck.papers_arrived")

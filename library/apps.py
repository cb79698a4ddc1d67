from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "library"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import post_save

        from accounts.data_export import register
        from papers.search import personal_scopes
        from papers.signals import paper_viewed

        from . import selectors, services

        post_save.connect(services.create_default_list, sender=settings.AUTH_USER_MODEL, dispatch_uid="library.default")
        paper_viewed.connect(services.mark_seen_on_view, dispatch_uid="library.mark_seen")
        personal_scopes["lists"] = selectors.papers_in_lists_of
        register("lists", selectors.lists_for_export)
        register("zotero", selectors.zotero_for_export)

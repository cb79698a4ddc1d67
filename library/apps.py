from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "library"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import post_save, pre_delete

        from accounts.data_export import register
        from papers.search import personal_scopes
        from papers.signals import paper_viewed

        from . import selectors, services
        from .groups import selectors as group_selectors
        from .groups import services as group_services

        post_save.connect(services.create_default_list, sender=settings.AUTH_USER_MODEL, dispatch_uid="library.default")
        paper_viewed.connect(services.mark_seen_on_view, dispatch_uid="library.mark_seen")
        personal_scopes["lists"] = selectors.papers_in_lists_of
        register("lists", selectors.lists_for_export)
        register("zotero", selectors.zotero_for_export)
        register("groups", group_selectors.groups_for_export)
        pre_delete.connect(
            group_services.before_account_deleted, sender=settings.AUTH_USER_MODEL, dispatch_uid="library.groups"
        )

from django.urls import path

from . import feeds, views
from .groups import list_views as group_list_views
from .groups import views as group_views
from .zotero import views as zotero_views

app_name = "library"

urlpatterns = [
    path("lists/", views.lists, name="lists"),
    path("lists/new/", views.create, name="create"),
    path("lists/<slug:slug>/", views.detail, name="detail"),
    path("lists/<slug:slug>/rename/", views.rename, name="rename"),
    path("lists/<slug:slug>/delete/", views.delete, name="delete"),
    path("lists/<slug:slug>/up/", views.move_up, name="move_up"),
    path("lists/<slug:slug>/down/", views.move_down, name="move_down"),
    path("lists/<slug:slug>/share/", views.share, name="share"),
    path("lists/<slug:slug>/unshare/", views.unshare, name="unshare"),
    path("lists/<slug:slug>/export/<str:fmt>/", views.list_export, name="list_export"),
    path("lists/<slug:slug>/more-like-this/", views.more_like_this, name="more_like_this"),
    path("lists/<slug:slug>/import/", views.import_entries, name="import_entries"),
    path("lists/<slug:slug>/entries/state/", views.entries_state, name="entries_state"),
    path("lists/<slug:slug>/entries/move/", views.entries_move, name="entries_move"),
    path("lists/<slug:slug>/entries/copy/", views.entries_copy, name="entries_copy"),
    path("lists/<slug:slug>/entries/remove/", views.entries_remove, name="entries_remove"),
    path("lists/<slug:slug>/entries/<int:entry_id>/", views.entry_update, name="entry_update"),
    path("lists/<slug:slug>/entries/<int:entry_id>/open/", views.entry_open, name="entry_open"),
    path("lists/<slug:slug>/zotero/", zotero_views.send_list, name="zotero_send_list"),
    path("zotero/send/", zotero_views.send_paper, name="zotero_send_paper"),
    path("zotero/sends/<int:send_id>/", zotero_views.send_status, name="zotero_send_status"),
    path("settings/zotero/", zotero_views.zotero_settings, name="zotero_settings"),
    path("settings/zotero/remove/", zotero_views.zotero_disconnect, name="zotero_disconnect"),
    path("library/export/<str:fmt>/", views.library_export, name="library_export"),
    path("groups/", group_views.groups, name="groups"),
    path("groups/join/<str:token>/", group_views.join, name="group_join"),
    path("club/unsubscribe/<str:token>/", group_views.club_unsubscribe, name="club_unsubscribe"),
    path("groups/<slug:slug>/", group_views.group, name="group"),
    path("groups/<slug:slug>/preferences/", group_views.preferences, name="group_preferences"),
    path("groups/<slug:slug>/invite/", group_views.invite, name="group_invite"),
    path("groups/<slug:slug>/invite/email/", group_views.invite_email, name="group_invite_email"),
    path("groups/<slug:slug>/invite/withdraw/", group_views.revoke, name="group_invite_revoke"),
    path("groups/<slug:slug>/lists/", group_list_views.create, name="group_list_create"),
    path("groups/<slug:slug>/lists/<slug:list_slug>/", group_list_views.detail, name="group_list"),
    path("groups/<slug:slug>/lists/<slug:list_slug>/rename/", group_list_views.rename, name="group_list_rename"),
    path("groups/<slug:slug>/lists/<slug:list_slug>/delete/", group_list_views.delete, name="group_list_delete"),
    path(
        "groups/<slug:slug>/lists/<slug:list_slug>/export/<str:fmt>/",
        group_list_views.export,
        name="group_list_export",
    ),
    path(
        "groups/<slug:slug>/lists/<slug:list_slug>/zotero/", group_list_views.send_to_zotero, name="group_list_zotero"
    ),
    path("groups/<slug:slug>/lists/<slug:list_slug>/<int:entry_id>/", group_list_views.entry, name="group_entry"),
    path(
        "groups/<slug:slug>/lists/<slug:list_slug>/<int:entry_id>/state/",
        group_list_views.entry_state,
        name="group_entry_state",
    ),
    path(
        "groups/<slug:slug>/lists/<slug:list_slug>/<int:entry_id>/note/",
        group_list_views.entry_note,
        name="group_entry_note",
    ),
    path(
        "groups/<slug:slug>/lists/<slug:list_slug>/<int:entry_id>/vote/",
        group_list_views.entry_vote,
        name="group_entry_vote",
    ),
    path(
        "groups/<slug:slug>/lists/<slug:list_slug>/<int:entry_id>/remove/",
        group_list_views.entry_remove,
        name="group_entry_remove",
    ),
    path(
        "groups/<slug:slug>/lists/<slug:list_slug>/<int:entry_id>/comments/",
        group_list_views.comment_add,
        name="group_comment_add",
    ),
    path(
        "groups/<slug:slug>/lists/<slug:list_slug>/<int:entry_id>/comments/<int:comment_id>/<str:action>/",
        group_list_views.comment_change,
        name="group_comment_change",
    ),
    path("groups/<slug:slug>/rename/", group_views.rename, name="group_rename"),
    path("groups/<slug:slug>/leave/", group_views.leave, name="group_leave"),
    path("groups/<slug:slug>/delete/", group_views.delete, name="group_delete"),
    path("groups/<slug:slug>/members/<str:action>/", group_views.member_action, name="group_member"),
    path("save/", views.save, name="save"),
    path("shared-in/", views.shared_in, name="shared_in"),
    path("shared/<str:token>/", views.shared, name="shared"),
    path("shared/<str:token>/feed/", feeds.SharedListFeed(), name="shared_feed"),
]

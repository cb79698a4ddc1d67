from django.urls import path

from . import feeds, views
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
    path("groups/<slug:slug>/", group_views.group, name="group"),
    path("groups/<slug:slug>/rename/", group_views.rename, name="group_rename"),
    path("groups/<slug:slug>/leave/", group_views.leave, name="group_leave"),
    path("groups/<slug:slug>/delete/", group_views.delete, name="group_delete"),
    path("groups/<slug:slug>/members/<str:action>/", group_views.member_action, name="group_member"),
    path("save/", views.save, name="save"),
    path("shared-in/", views.shared_in, name="shared_in"),
    path("shared/<str:token>/", views.shared, name="shared"),
    path("shared/<str:token>/feed/", feeds.SharedListFeed(), name="shared_feed"),
]

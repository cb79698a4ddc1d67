from django.urls import path

from . import list_views, views

urlpatterns = [
    path("", views.deck, name="deck"),
    path("deck/cards/", views.deck_cards, name="deck_cards"),
    path("deck/decide/", views.decide, name="decide"),
    path("deck/undo/", views.undo, name="undo"),
    path("history/", views.history, name="history"),
    path("history/<int:swipe_id>/", views.change_decision, name="change_decision"),
    path("settings/categories/", views.settings_categories, name="settings_categories"),
    path("settings/data/", list_views.my_data, name="my_data"),
    path("settings/data/download/", list_views.my_data_download, name="my_data_download"),
    path("settings/delete/", list_views.delete_account, name="delete_account"),
    path("lists/", list_views.lists_overview, name="lists"),
    path("lists/<slug:slug>/", list_views.list_detail, name="list_detail"),
    path("lists/<slug:slug>/export/<str:fmt>/", list_views.list_export, name="list_export"),
    path("lists/<slug:slug>/entries/<int:entry_id>/", list_views.entry_update, name="entry_update"),
    path("lists/<slug:slug>/entries/<int:entry_id>/open/", list_views.entry_open, name="entry_open"),
    path("lists/<slug:slug>/<str:action>/", list_views.list_manage, name="list_manage"),
    path("library/export/<str:fmt>/", list_views.library_export, name="library_export"),
    path("save/", list_views.save_to_list, name="save_to_list"),
    path("shared/<str:token>/", list_views.shared_list, name="shared_list"),
    path("shared/<str:token>/feed/", list_views.SharedListFeed(), name="shared_list_feed"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("", views.deck, name="deck"),
    path("deck/cards/", views.deck_cards, name="deck_cards"),
    path("deck/decide/", views.decide, name="decide"),
    path("deck/undo/", views.undo, name="undo"),
    path("history/", views.history, name="history"),
    path("history/<int:swipe_id>/", views.change_decision, name="change_decision"),
    path("lists/", views.reading_list, name="reading_list"),
    path("settings/categories/", views.settings_categories, name="settings_categories"),
]

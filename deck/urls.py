from django.urls import path

from . import feeds, learned_views, views
from .digest import views as digest_views

app_name = "deck"

urlpatterns = [
    path("", views.home, name="deck"),
    path("try/", views.try_deck, name="try"),
    path("offline/", views.offline, name="offline"),
    path("papers/trending/", views.trending, name="trending"),
    path("deck/cards/", views.cards, name="cards"),
    path("deck/decide/", views.decide, name="decide"),
    path("deck/undo/", views.undo, name="undo"),
    path("deck/later/", views.later, name="later"),
    path("history/", views.history, name="history"),
    path("stats/", views.stats, name="stats"),
    path("history/<int:swipe_id>/", views.change_decision, name="change_decision"),
    path("settings/interests/", views.interests, name="interests"),
    path("settings/interests/set/", views.set_interest, name="set_interest"),
    path("settings/interests/<int:interest_id>/remove/", views.drop_interest, name="drop_interest"),
    path("settings/interests/seeds/", views.add_seeds, name="add_seeds"),
    path("settings/learned/", learned_views.learned, name="learned"),
    path("settings/learned/forget/", learned_views.forget, name="forget"),
    path("settings/learned/<int:forgotten_id>/again/", learned_views.learn_again, name="learn_again"),
    path("settings/learned/pause/", learned_views.pause, name="pause_learning"),
    path("settings/learned/start-over/", learned_views.start_over, name="start_over"),
    path("settings/deck/", views.save_deck_settings, name="deck_settings"),
    path("settings/deck/feed/", views.reset_feed, name="reset_feed"),
    path("settings/digest/", digest_views.digest_settings, name="digest_settings"),
    path("digest/keep/<int:paper_id>/<str:token>/", digest_views.digest_keep, name="digest_keep"),
    path("digest/unsubscribe/<str:token>/", digest_views.digest_unsubscribe, name="digest_unsubscribe"),
    path("feed/<str:token>/", feeds.DeckFeed(), name="feed"),
]

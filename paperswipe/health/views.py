from __future__ import annotations

from django.contrib import admin
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from deck.ranking import log_evaluation

from . import selectors

REFRESH_SECONDS = 60


def health(request: HttpRequest) -> HttpResponse:
    """The admin's Health page; staff only, through `admin.site.admin_view` in the URLs."""
    context = {
        **admin.site.each_context(request),
        "title": "Health",
        "report": selectors.report(now=timezone.now()),
        "refresh_seconds": REFRESH_SECONDS,
        "lag_window_minutes": int(selectors.LAG_WINDOW.total_seconds() // 60),
    }
    return render(request, "admin/health.html", context)


RANKING_KEY = "health:ranking-evaluation"
RANKING_TTL = 3600  # a replay fits three models per reader: read at most hourly, or on demand
RANKING_READERS = 200  # those with the most decisions


def ranking(request: HttpRequest) -> HttpResponse:
    """The admin's Ranking page: `evaluate_ranking --from-log` on the real decisions, kept an hour; staff only,
    through `admin.site.admin_view` in the URLs. `?again=1` replays now."""
    found = None if request.GET.get("again") else cache.get(RANKING_KEY)
    if found is None:
        found = {"at": timezone.now(), "result": log_evaluation.evaluate_log(max_readers=RANKING_READERS)}
        cache.set(RANKING_KEY, found, RANKING_TTL)
    context = {
        **admin.site.each_context(request),
        "title": "Ranking on real decisions",
        "at": found["at"],
        "result": found["result"],
        "max_readers": RANKING_READERS,
        "min_decisions": log_evaluation.MIN_DECISIONS,
        "train_percent": round(log_evaluation.TRAIN_SHARE * 100),
        "top": log_evaluation.TOP,
    }
    return render(request, "admin/ranking.html", context)

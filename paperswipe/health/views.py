from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

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

"""The installable app: its manifest and its service worker, public and the same for every visitor.

The worker keeps only what no user owns (the app shell: styles, scripts, fonts, icons and the offline
page, fetched without cookies); a reader's cards and lists live in the page's IndexedDB, under their id.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

THEME = {"light": "#b31b1b", "dark": "#171b21"}  # the header's red and the dark theme's surface
BACKGROUND = "#f6f7f9"  # site.css --bg, light: the splash screen behind the icon
SHELL_DIRECTORIES = ("css", "js", "img", "vendor/katex")
SHELL_SUFFIXES = (".css", ".js", ".png", ".woff2")


@require_GET
@cache_control(public=True, max_age=3600)
def manifest(request: HttpRequest) -> HttpResponse:
    icons = [
        {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
        {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
        {"src": static("img/icon-maskable-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
    ]
    data = {
        "id": "/",
        "name": "PaperSwipe",
        "short_name": "PaperSwipe",
        "description": "The day's arXiv papers in your categories, one card at a time: keep or skip.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "background_color": BACKGROUND,
        "theme_color": THEME["light"],
        "icons": icons,
        "categories": ["education", "productivity"],
        # Sharing an arXiv link or id to the installed app opens "Save to..." for that paper.
        "share_target": {
            "action": reverse("library:shared_in"),
            "method": "GET",
            "enctype": "application/x-www-form-urlencoded",
            "params": {"title": "title", "text": "text", "url": "url"},
        },
    }
    return JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"indent": 2})


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """static/js/sw.js, served at the root so that its scope is the whole site, after the list of files it
    keeps and a version that changes with any of them (an updated worker replaces its caches)."""
    urls, version = _shell()
    source = Path(finders.find("js/sw.js") or "").read_text(encoding="utf-8")
    head = f"const SHELL = {json.dumps(urls)};\nconst VERSION = {json.dumps(version)};\n"
    response = HttpResponse(head + source, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"  # the browser checks for a new worker on every visit
    return response


@functools.cache
def _shell() -> tuple[list[str], str]:
    """The app shell's URLs (hashed in production) and a digest of their contents and the offline page's."""
    root = Path(settings.BASE_DIR)
    files = [root / "templates" / "base.html", *sorted((root / "templates" / "deck").glob("[_o]*.html"))]
    urls = [reverse("deck:offline")]
    for directory in SHELL_DIRECTORIES:
        for path in sorted((root / "static" / directory).rglob("*")):
            if path.suffix in SHELL_SUFFIXES and path.name != "sw.js":
                urls.append(static(path.relative_to(root / "static").as_posix()))
                files.append(path)
    digest = hashlib.sha256(json.dumps(urls).encode())
    for path in files:
        digest.update(path.read_bytes())
    return urls, digest.hexdigest()[:16]

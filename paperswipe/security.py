"""Headers every response carries beyond Django's own, and the endpoint browsers report CSP violations to.

The Content-Security-Policy itself comes from django-csp (settings: CONTENT_SECURITY_POLICY).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from allauth.core import ratelimit
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import untrusted_json

logger = logging.getLogger("paperswipe.csp")

# Features no page of ours uses: a script that got in anyway cannot reach them.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), fullscreen=(self)"
REPORT_LIMIT = 20_000  # bytes of a report we read; browsers send a few hundred


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


# Browsers post reports without our CSRF cookie, and a report changes nothing: it is only logged.
@csrf_exempt
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    """Log a violation report (application/csp-report or application/reports+json), bounded in size."""
    # Anyone may post here, so each address gets a few a minute (ACCOUNT_RATE_LIMITS["csp_report"]): a page
    # with a real violation reports it a handful of times, a script posting thousands fills the log.
    if not ratelimit.consume(request, action="csp_report"):
        return HttpResponse("Too many reports.", status=429)
    body = request.read(REPORT_LIMIT + 1)
    if len(body) > REPORT_LIMIT:
        return HttpResponse("Report too large.", status=413)
    try:
        report = untrusted_json.loads(body)
    except untrusted_json.UntrustedJSONError as error:
        return HttpResponseBadRequest(f"A CSP report is JSON: {error}.")
    logger.warning("CSP violation: %s", json.dumps(report, ensure_ascii=True)[:2000])
    return HttpResponse(status=204)

"""Sending a form back where it came from, and never to another site."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def back_to(request: HttpRequest, target: str, fallback: str) -> HttpResponseRedirect:
    """Redirect to `target` (a posted `next`) when it is on this site, else to `fallback` (a URL name)."""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(target if target and safe else fallback)

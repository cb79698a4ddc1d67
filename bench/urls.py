"""The site's URLs and /bench/bare/: a login-required view that does nothing, the yardstick of the
deck's throughput under gunicorn."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


@login_required
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [path("bench/bare/", bare), path("", include("paperswipe.urls"))]

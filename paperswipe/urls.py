from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from .health.views import health, ranking
from .pwa import manifest, service_worker
from .security import csp_report

# The admin signs in through allauth's login, so two-factor and the rate limits apply there too.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", include("deck.urls")),
    path("", include("library.urls")),
    path("", include("accounts.urls")),
    path("", include("papers.urls")),
    path("accounts/", include("allauth.urls")),
    # Before the admin's own URLs, behind its login and staff check: linked from templates/admin/index.html.
    path("admin/health/", admin.site.admin_view(health), name="admin_health"),
    path("admin/ranking/", admin.site.admin_view(ranking), name="admin_ranking"),
    path("admin/", admin.site.urls),
    path("csp-report/", csp_report, name="csp_report"),
    path("manifest.webmanifest", manifest, name="manifest"),
    path("sw.js", service_worker, name="service_worker"),
]

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from papers.views import search_papers

# The admin signs in through allauth's login, so two-factor and the rate limits apply there too.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("search/", search_papers, name="search"),
    path("", include("accounts.urls")),
    path("papers/", include("papers.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]

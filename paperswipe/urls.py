from django.contrib import admin
from django.urls import include, path

from papers.views import search_papers

urlpatterns = [
    path("search/", search_papers, name="search"),
    path("", include("accounts.urls")),
    path("papers/", include("papers.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]

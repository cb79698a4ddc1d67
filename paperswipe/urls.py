from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("accounts.urls")),
    path("papers/", include("papers.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]

from django.urls import path

from . import views

app_name = "papers"
urlpatterns = [
    path("", views.paper_list, name="list"),
    # <path:> because old-style ids carry a slash: hep-th/9901001.
    path("<path:arxiv_id>/", views.paper_detail, name="detail"),
]

from django.urls import path

from . import views

app_name = "papers"
urlpatterns = [
    path("papers/", views.paper_list, name="list"),
    # <path:> because old-style ids carry a slash: hep-th/9901001.
    path("papers/<path:arxiv_id>/", views.paper_detail, name="detail"),
    path("search/", views.search_papers, name="search"),
]

from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("settings/categories/", views.categories, name="categories"),
    path("settings/data/", views.my_data, name="my_data"),
    path("settings/data/download/", views.my_data_download, name="my_data_download"),
    path("settings/delete/", views.delete_account, name="delete_account"),
]

"""The account's own pages: followed categories, "Download my data", and deleting the account."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from papers.models import Category

from . import services
from .data_export import export_user_data
from .forms import DeleteAccountForm, FollowCategoriesForm
from .requests import AuthenticatedRequest


@login_required
def categories(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "POST":
        form = FollowCategoriesForm(request.POST)
        if not form.is_valid():
            return HttpResponseBadRequest("categories must be category ids")
        followed = services.follow_categories(user=request.user, category_ids=form.cleaned_data["categories"])
        messages.success(request, f"You follow {len(followed)} categor{'y' if len(followed) == 1 else 'ies'}.")
        return redirect("deck:deck" if followed else "accounts:categories")
    offered = Category.objects.offered().order_by("group_name", "archive_name", "display_order", "code")
    followed_ids = set(request.user.followed_categories.values_list("pk", flat=True))
    return render(request, "accounts/settings_categories.html", {"offered": offered, "followed_ids": followed_ids})


@login_required
def my_data(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "accounts/my_data.html")


_CONFIRM_DELETE = "Type your email address to confirm that you want to delete your account."


@login_required
def my_data_download(request: AuthenticatedRequest) -> HttpResponse:
    data = export_user_data(request.user)
    response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="paperswipe-my-data.json"'
    return response


@login_required
@require_POST
def delete_account(request: AuthenticatedRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST, user=request.user)
    if not form.is_valid():  # the page again, the message under the field, nothing deleted
        context = {"delete_error": _CONFIRM_DELETE, "typed": request.POST.get("confirm_email", "")[:320]}
        return render(request, "accounts/my_data.html", context, status=400)
    services.delete_account(user=request.user)  # first, in one transaction; then the session goes
    logout(request)
    messages.success(request, "Your account and all its data are deleted.")
    return redirect("papers:list")

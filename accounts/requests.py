"""The request type of a view behind login_required: its user is a User, never anonymous."""

from django.http import HttpRequest

from .models import User


class AuthenticatedRequest(HttpRequest):
    user: User

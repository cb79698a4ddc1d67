"""The user's own data as one JSON document; each app contributes its part.

accounts imports none of the apps above it: they register here, in their AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .models import User

Contribution = Callable[[User], Any]
_contributions: dict[str, Contribution] = {}


def register(key: str, contribution: Contribution) -> None:
    _contributions[key] = contribution


def export_user_data(user: User) -> dict[str, Any]:
    data: dict[str, Any] = {
        "account": {
            "email": user.email,
            "name": user.name,
            "date_joined": user.date_joined.isoformat(),
            "time_zone": user.time_zone,
        },
        "followed_categories": list(user.followed_categories.values_list("code", flat=True)),
    }
    for key, contribution in _contributions.items():
        data[key] = contribution(user)
    return data

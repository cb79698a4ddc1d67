from __future__ import annotations

from django import forms

from paperswipe.forms import IdField, NameField

from ..models import Group


class GroupNameForm(forms.Form):
    name = NameField(
        max_length=Group._meta.get_field("name").max_length,
        error_messages={"required": "A group needs a name of visible characters."},
    )


class MemberForm(forms.Form):
    member = IdField()

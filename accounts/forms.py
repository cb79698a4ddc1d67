from __future__ import annotations

from typing import Any

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.contrib.auth.forms import UserChangeForm as BaseUserChangeForm
from django.contrib.auth.forms import UserCreationForm as BaseUserCreationForm

from paperswipe.forms import IdListField

from .models import User


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeForm(BaseUserChangeForm):
    class Meta:
        model = User
        fields = ("email", "name")


class FollowCategoriesForm(forms.Form):
    categories = IdListField(required=False)


class DeleteAccountForm(forms.Form):
    confirm_email = forms.EmailField(max_length=User._meta.get_field("email").max_length)

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.user = user

    def clean_confirm_email(self) -> str:
        email = self.cleaned_data["confirm_email"].strip()
        if email.lower() != self.user.email.lower():
            raise forms.ValidationError("Type your email address to confirm that you want to delete your account.")
        return email


class SignupForm(AllauthSignupForm):
    """allauth's sign-up, which says nothing of a mistyped second password while the first is refused."""

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()
        first, second = self.data.get("password1", ""), self.data.get("password2", "")
        if first and second and first != second and not self.has_error("password2"):
            self.add_error("password2", "The two passwords differ: type the same one twice.")
        return cleaned

from __future__ import annotations

from django import forms

from paperswipe.forms import IdField, NameField, TextAreaField

from ..models import Comment, Group, ReadingList, ReadingListEntry


class GroupNameForm(forms.Form):
    name = NameField(
        max_length=Group._meta.get_field("name").max_length,
        error_messages={"required": "A group needs a name of visible characters."},
    )


class GroupListNameForm(forms.Form):
    name = NameField(
        max_length=ReadingList._meta.get_field("name").max_length,
        error_messages={"required": "A list needs a name of visible characters."},
    )


class MemberForm(forms.Form):
    member = IdField()


class InviteLinkForm(forms.Form):
    max_uses = forms.IntegerField(
        min_value=1,
        max_value=100,
        initial=10,
        error_messages={
            "min_value": "An invitation lets in 1 to 100 people.",
            "max_value": "An invitation lets in 1 to 100 people.",
            "invalid": "How many people may use the link: a number from 1 to 100.",
            "required": "How many people may use the link: a number from 1 to 100.",
        },
    )


class InviteEmailForm(forms.Form):
    email = forms.EmailField(
        max_length=254,
        error_messages={
            "invalid": "Enter an email address, like name@example.org.",
            "required": "Enter an email address.",
        },
    )


class InvitationForm(forms.Form):
    invitation = IdField()


class PreferencesForm(forms.Form):
    shares_keeps = forms.BooleanField(required=False)
    club_email = forms.BooleanField(required=False)


class CommentForm(forms.Form):
    text = TextAreaField(
        max_length=Comment.TEXT_MAX,
        strip=True,
        error_messages={
            "required": "Write something first.",
            "max_length": f"Comments are at most {Comment.TEXT_MAX:,} characters (this one has %(show_value)s).",
        },
    )


class ReadStateForm(forms.Form):
    state = forms.ChoiceField(choices=ReadingListEntry.State.choices)


class NoteForm(forms.Form):
    note = TextAreaField(
        required=False,
        max_length=ReadingListEntry.NOTE_MAX,
        error_messages={
            "max_length": f"Notes are at most {ReadingListEntry.NOTE_MAX:,} characters (this one has %(show_value)s)."
        },
    )


class VoteForm(forms.Form):
    vote = forms.TypedChoiceField(choices=[("1", "+1"), ("0", "take back")], coerce=lambda v: v == "1")

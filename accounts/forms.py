from django import forms
from django.contrib.auth.forms import UserChangeForm as BaseUserChangeForm
from django.contrib.auth.forms import UserCreationForm as BaseUserCreationForm

from paperswipe.forms import IdField, IdListField, NameField, TextAreaField

from .models import ReadingList, ReadingListEntry, Swipe, User


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeForm(BaseUserChangeForm):
    class Meta:
        model = User
        fields = ("email", "name")


class DecideForm(forms.Form):
    paper = IdField()
    decision = forms.ChoiceField(choices=Swipe.Decision.choices)
    source = forms.ChoiceField(choices=Swipe.Source.choices, required=False)
    next = forms.CharField(required=False, max_length=2000)


class DeckCardsForm(forms.Form):
    exclude = IdListField(required=False, max_ids=100)


class ChangeDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Swipe.Decision.choices)
    filter = forms.ChoiceField(choices=[("", "All"), *Swipe.Decision.choices], required=False)


class FollowCategoriesForm(forms.Form):
    categories = IdListField(required=False)


class SaveToListForm(forms.Form):
    list = IdField()
    paper = IdField()


class ListNameForm(forms.Form):
    name = NameField(
        max_length=ReadingList._meta.get_field("name").max_length,
        error_messages={"required": "A list needs a name of visible characters."},
    )


class EntryForm(forms.Form):
    state = forms.ChoiceField(choices=ReadingListEntry.State.choices, required=False)
    note = TextAreaField(
        required=False,
        max_length=ReadingListEntry.NOTE_MAX,
        error_messages={
            "max_length": f"Notes are at most {ReadingListEntry.NOTE_MAX:,} characters (this one has %(show_value)s)."
        },
    )


class BulkActionForm(forms.Form):
    entries = IdListField(max_ids=500, error_messages={"required": "Select at least one paper first."})
    action = forms.CharField(max_length=20, error_messages={"required": "Choose what to do with the selected papers."})
    target = IdField(required=False)

from __future__ import annotations

from django import forms

from paperswipe.forms import IdField, IdListField, NameField, TextAreaField

from .models import ReadingList, ReadingListEntry
from .selectors import SORTS


class ListNameForm(forms.Form):
    name = NameField(
        max_length=ReadingList._meta.get_field("name").max_length,
        error_messages={"required": "A list needs a name of visible characters."},
    )


class ListFilterForm(forms.Form):
    q = forms.CharField(required=False)
    state = forms.ChoiceField(choices=[("", "Any"), *ReadingListEntry.State.choices], required=False)
    category = forms.CharField(required=False, max_length=32)
    sort = forms.ChoiceField(choices=[(key, key) for key in SORTS], required=False)


class EntryForm(forms.Form):
    state = forms.ChoiceField(choices=ReadingListEntry.State.choices, required=False)
    note = TextAreaField(
        required=False,
        max_length=ReadingListEntry._meta.get_field("note").max_length,
        error_messages={
            "max_length": f"Notes are at most {ReadingListEntry.NOTE_MAX:,} characters (this one has %(show_value)s)."
        },
    )


class EntriesForm(forms.Form):
    """The entries a bulk action applies to, as ticked on the list page."""

    entries = IdListField(max_ids=500, error_messages={"required": "Select at least one paper first."})


class EntriesStateForm(EntriesForm):
    state = forms.ChoiceField(choices=ReadingListEntry.State.choices)


class EntriesTargetForm(EntriesForm):
    target = IdField(error_messages={"required": "Choose the list to move or copy to."})


class SaveToListForm(forms.Form):
    list = IdField()
    paper = IdField()


MAX_IMPORT_FILE = 5_000_000


class ImportFileForm(forms.Form):
    """A BibTeX, RIS or CSL-JSON file, such as a Zotero export, to add to a list."""

    file = forms.FileField()

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_FILE:
            raise forms.ValidationError(f"Files are at most {MAX_IMPORT_FILE // 1_000_000} MB.")
        return upload


class ZoteroConnectForm(forms.Form):
    """The labels are Zotero's own words on zotero.org/settings/keys, where the reader finds both."""

    zotero_user_id = forms.RegexField(
        label="Zotero user ID",
        regex=r"\A[0-9]{1,20}\Z",
        max_length=20,
        strip=True,  # a pasted id often ends in a newline
        error_messages={"invalid": "The Zotero user ID is a number: the one shown on zotero.org/settings/keys."},
    )
    api_key = forms.RegexField(
        label="Zotero API key",
        regex=r"\A[A-Za-z0-9]{8,64}\Z",
        max_length=64,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        error_messages={"invalid": "A Zotero API key is a string of letters and digits, as zotero.org shows it."},
    )


class ZoteroSendForm(forms.Form):
    """What a "Send to Zotero" button sends: a list entry or a paper (by id), and whether to add notes."""

    entry = IdField(required=False)
    paper = IdField(required=False)
    notes = forms.BooleanField(required=False)


class SharedForm(forms.Form):
    """What a phone's share sheet sends to the installed app (the manifest's share_target): any of the three
    may hold the arXiv link or id."""

    title = forms.CharField(required=False, max_length=2000)
    text = forms.CharField(required=False, max_length=2000)
    url = forms.CharField(required=False, max_length=2000)

    def arxiv_id(self) -> str | None:
        from papers.references.parse import parse_id_lines

        shared = "\n".join(self.cleaned_data[name] for name in ("url", "text", "title"))
        ids, _ = parse_id_lines(shared)
        return ids[0] if ids else None

from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms

from papers.models import Category
from paperswipe.forms import IdField, IdListField, NameField

from .learned import token_of
from .models import DeckSettings, DigestSubscription, ForgottenFeature, Interest, Swipe


class DecideForm(forms.Form):
    paper = IdField()
    decision = forms.ChoiceField(choices=Swipe.Decision.choices)
    source = forms.ChoiceField(choices=Swipe.Source.choices, required=False)
    # Where the paper was shown: the deck's cards say "deck"; a paper page, search or a list leave it out.
    origin = forms.ChoiceField(choices=Swipe.Origin.choices, required=False)
    next = forms.CharField(required=False, max_length=2000)
    list = IdField(required=False)  # "Keep and save to <list>": a keep that goes to this list, not the default
    device_id = forms.UUIDField(required=False)  # the page's id of this decision: a resend is the same one


class UndoForm(forms.Form):
    device_id = forms.UUIDField(required=False)  # that decision, not the latest: an offline undo sent later
    postponed = IdField(required=False)  # that paper's "Not now", not the latest


class LaterForm(forms.Form):
    """ "Not now" on a card: the paper, nothing else (it teaches nothing)."""

    paper = IdField()


class DeckForm(forms.Form):
    show = forms.CharField(required=False, max_length=40)  # the arXiv id an undo brings back on top


class DeckCardsForm(forms.Form):
    exclude = IdListField(required=False, max_ids=100)
    # How many cards the page is short of: a refill after one decision asks for one or two, not five.
    # Up to 50 for the copy a device keeps for reading offline (static/js/deck.js).
    count = forms.IntegerField(required=False, min_value=1, max_value=50)


class HistoryFilterForm(forms.Form):
    decision = forms.ChoiceField(choices=[("", "All"), *Swipe.Decision.choices], required=False)


class ChangeDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Swipe.Decision.choices)
    filter = forms.ChoiceField(choices=[("", "All"), *Swipe.Decision.choices], required=False)


class InterestForm(forms.Form):
    """Follow or mute: `kind` and `value`, or one `choice` of "kind:value" (a card's radio buttons)."""

    kind = forms.ChoiceField(choices=Interest.Kind.choices, required=False)
    value = NameField(max_length=Interest._meta.get_field("value").max_length, required=False)
    choice = forms.CharField(max_length=120, required=False)
    stance = forms.ChoiceField(choices=Interest.Stance.choices)
    next = forms.CharField(required=False, max_length=2000)

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("choice"):
            kind, _, value = data["choice"].partition(":")
            data["kind"], data["value"] = kind, self.fields["value"].clean(value)
        # Said under the value field, the one a reader corrects.
        if data.get("kind") not in Interest.Kind.values or not data.get("value"):
            self.add_error("value", "Type an author, a keyword or a category code.")
        elif data["kind"] == Interest.Kind.KEYWORD and len(data["value"]) < 3:
            self.add_error("value", "A keyword has at least 3 characters.")
        elif data["kind"] == Interest.Kind.CATEGORY and not self._category_allowed(data["value"], data.get("stance")):
            self.add_error("value", "PaperSwipe does not offer this category: the categories page lists those it does.")
        return data

    @staticmethod
    def _category_allowed(code: str, stance: str | None) -> bool:
        """Any category can be muted; one followed must be offered, as on the categories page."""
        categories = Category.objects.filter(code=code)
        return (categories.offered() if stance == Interest.Stance.FOLLOW else categories).exists()


class SeedPapersForm(forms.Form):
    ids = forms.CharField(required=False, max_length=20_000, widget=forms.Textarea)
    file = forms.FileField(required=False)

    def clean(self) -> dict:
        data = super().clean() or {}
        # Each said under the field it is about.
        upload = data.get("file")
        if not data.get("ids", "").strip() and not upload and not self.errors:
            self.add_error("ids", "Paste arXiv ids or links, or choose a BibTeX, RIS or CSL-JSON file.")
        elif upload and upload.size > MAX_SEED_FILE:
            self.add_error("file", f"Files are at most {MAX_SEED_FILE // 1_000_000} MB.")
        return data


MAX_SEED_FILE = 5_000_000


class DeckSettingsForm(forms.ModelForm):
    class Meta:
        model = DeckSettings
        fields = ["include_cross_lists", "include_replacements"]
        labels = {
            "include_cross_lists": "Cross-lists from other categories",
            "include_replacements": "Replaced papers (new versions)",
        }


class TrendingForm(forms.Form):
    category = forms.CharField(required=False, max_length=32)


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """IANA zones by region ("Europe/Berlin"), and UTC; not the legacy aliases ("EST5EDT", "posixrules")."""
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    return [("UTC", "UTC"), *((zone, zone.replace("_", " ")) for zone in zones)]


class DigestForm(forms.ModelForm):
    size = forms.IntegerField(min_value=5, max_value=50, initial=10, label="Papers in each digest")
    hour = forms.TypedChoiceField(coerce=int, choices=[(h, f"{h:02d}:00") for h in range(24)], initial=7, label="At")
    time_zone = forms.ChoiceField(choices=time_zone_choices, label="Time zone")

    class Meta:
        model = DigestSubscription
        fields = ["frequency", "size", "hour", "weekday"]
        widgets = {"frequency": forms.RadioSelect}
        labels = {"frequency": "Email digest", "weekday": "Weekly on"}


class ForgetForm(forms.Form):
    """A term, an author or a category of "What the deck has learned", to take out of the model."""

    kind = forms.ChoiceField(choices=ForgottenFeature.Kind.choices)
    value = NameField(max_length=ForgottenFeature._meta.get_field("value").max_length)

    def clean(self) -> dict:
        data = super().clean() or {}
        if "kind" in data and "value" in data:
            kind, value = data["kind"], data["value"]
            if kind == ForgottenFeature.Kind.CATEGORY and not Category.objects.filter(code=value).exists():
                self.add_error("value", "Not an arXiv category.")
            elif not (token := token_of(kind=kind, value=value)):
                self.add_error("value", "A term is one or two words; an author, a name.")
            else:
                data["token"] = token
        return data


class ConfirmForm(forms.Form):
    """A steering action taken only when the reader ticked that they meant it (the page works without JS)."""

    confirm = forms.BooleanField(error_messages={"required": "Tick the box to confirm."})

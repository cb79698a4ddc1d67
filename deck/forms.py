from __future__ import annotations

from django import forms

from paperswipe.forms import IdField, IdListField

from .models import Swipe


class DecideForm(forms.Form):
    paper = IdField()
    decision = forms.ChoiceField(choices=Swipe.Decision.choices)
    source = forms.ChoiceField(choices=Swipe.Source.choices, required=False)
    next = forms.CharField(required=False, max_length=2000)


class DeckForm(forms.Form):
    show = forms.CharField(required=False, max_length=40)  # the arXiv id an undo brings back on top


class DeckCardsForm(forms.Form):
    exclude = IdListField(required=False, max_ids=100)


class HistoryFilterForm(forms.Form):
    decision = forms.ChoiceField(choices=[("", "All"), *Swipe.Decision.choices], required=False)


class ChangeDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Swipe.Decision.choices)
    filter = forms.ChoiceField(choices=[("", "All"), *Swipe.Decision.choices], required=False)

"""What the public catalog pages accept: a listing filter and a search."""

from __future__ import annotations

from typing import Any

from django import forms

from .search import bounded_query


class PaperListForm(forms.Form):
    category = forms.CharField(required=False, max_length=32)


class SearchForm(forms.Form):
    # Any length is accepted: a pasted abstract is searched by its first words rather than refused.
    q = forms.CharField(required=False)
    category = forms.CharField(required=False, max_length=32)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The query string's own names, which are Python keywords: a date range and a personal scope.
        self.fields["from"] = forms.DateField(required=False)
        self.fields["to"] = forms.DateField(required=False)
        self.fields["in"] = forms.CharField(required=False, max_length=20)
        self.shortened = False

    def clean_q(self) -> str:
        query, self.shortened = bounded_query(self.cleaned_data["q"])
        return query

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            # Said under To, and neither date filters: "Nothing matches" would blame the words.
            self.add_error("to", f"To ({end:%b %-d, %Y}) is before From ({start:%b %-d, %Y}): the dates are reversed.")
            cleaned.pop("from", None)
        return cleaned

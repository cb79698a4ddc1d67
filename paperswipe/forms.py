"""Form fields every app parses its input with: database ids and names people type."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

# PostgreSQL's bigint, the type of every primary key here.
MAX_ID = 2**63 - 1
_ASCII_ID = re.compile(r"[0-9]{1,19}")


def parse_count(value: object) -> int | None:
    """A whole number (0 included) from text, or None: ASCII digits only (Python's isdigit() takes '²',
    which int() refuses), within bigint. For ids, counts, indexes and numeric headers alike."""
    text = str(value).strip()
    if not _ASCII_ID.fullmatch(text):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def parse_id(value: object) -> int | None:
    """A database id from text, or None."""
    number = parse_count(value)
    return number if number is not None and number >= 1 else None


def form_errors(form: forms.Form) -> str:
    """Every error of a form in one sentence, for a message."""
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


class IdField(forms.Field):
    default_error_messages = {"invalid": "Not a valid id."}

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        number = parse_id(value)
        if number is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number


class IdListField(forms.Field):
    """Several ids, posted as repeated fields or as one comma-separated value."""

    default_error_messages = {"invalid": "Not a list of valid ids.", "too_many": "At most %(max)d ids at once."}
    widget = forms.SelectMultiple

    def __init__(self, *, max_ids: int = 1000, **kwargs: Any) -> None:
        self.max_ids = max_ids
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[int]:
        if value in self.empty_values:
            return []
        raw: Sequence[str] = value if isinstance(value, list | tuple) else [value]
        parts = [part for item in raw for part in str(item).split(",") if part.strip()]
        if len(parts) > self.max_ids:
            raise ValidationError(self.error_messages["too_many"], code="too_many", params={"max": self.max_ids})
        ids = [parse_id(part) for part in parts]
        if None in ids:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return list(dict.fromkeys(ids))  # type: ignore[arg-type]


def visible_text(text: str) -> str:
    """Drop invisible and direction-changing characters (zero-width spaces, RTL overrides, controls)."""
    kept = "".join(" " if ch.isspace() else ch for ch in text if ch.isspace() or unicodedata.category(ch)[0] != "C")
    return " ".join(kept.split())


class NameField(forms.CharField):
    """A name people see (a list's): only visible characters, single spaces, never empty."""

    def to_python(self, value: Any) -> str:
        return visible_text(super().to_python(value) or "")


class TextAreaField(forms.CharField):
    """Free text from a textarea: line endings arrive as CRLF and count as one character, as the browser counts."""

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        return text.replace("\r\n", "\n").replace("\r", "\n")

"""JSON from outside (an upload, a browser's report): parsed with every number and every level bounded.

Python's json raises three things besides JSONDecodeError on hostile input: ValueError for an integer
past 4,300 digits, RecursionError for deep nesting, and it accepts NaN and Infinity. Each was a 500.
Here all of them become one `UntrustedJSONError` with a sentence a person can read.
"""

from __future__ import annotations

import json
from typing import Any

# No number anyone sends us needs more digits than a bigint; longer ones are refused, not converted.
MAX_NUMBER_DIGITS = 20


class UntrustedJSONError(ValueError):
    """The text is not JSON we accept; the message says why, for the person who sent it."""


def loads(text: str | bytes) -> Any:
    """The parsed document, or UntrustedJSONError."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UntrustedJSONError("it is not UTF-8 text") from None
    try:
        return json.loads(text, parse_int=_integer, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise UntrustedJSONError(f"{error.msg} at line {error.lineno}") from None
    except RecursionError:  # the interpreter's recursion limit is the depth bound: about 1,000 levels
        raise UntrustedJSONError("it is nested too deeply") from None


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise UntrustedJSONError(f"a number has more than {MAX_NUMBER_DIGITS} digits")
    return int(digits)


def _no_constant(name: str) -> Any:
    raise UntrustedJSONError(f"{name} is not a JSON number")

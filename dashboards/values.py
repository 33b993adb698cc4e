"""Callback values as the pages expect them.

A callback's inputs come from the browser, so a crafted request can send anything JSON holds
where a dropdown's text belongs: a list, a dict, a number, a lone surrogate. These functions
turn such a value into "nothing chosen" (or drop it from a list), so that a page answers with
its usual "choose ..." note instead of failing with HTTP 500.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["is_text", "one_text", "texts", "whole_numbers"]

_LIMIT = 2**31


def is_text(value: Any) -> bool:
    """A string that is valid Unicode text (no lone surrogate)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def one_text(value: Any) -> str | None:
    """``value`` when it is a non-empty text, else None."""
    return value if is_text(value) and value else None


def texts(value: Any) -> list[str]:
    """The texts of a multi-select's value (one text counts as a list of one)."""
    if one_text(value) is not None:
        return [value]
    if not isinstance(value, list):
        return []
    return [v for v in value if one_text(v) is not None]


def whole_numbers(value: Any) -> list[int]:
    """The whole numbers of a multi-select's value (``"3"`` counts; ``"abc"``, ``1.5`` and
    numbers beyond 32 bits do not)."""
    items = value if isinstance(value, list) else [value]
    out = []
    for v in items:
        if isinstance(v, bool):
            continue
        whole = (isinstance(v, float) and v.is_integer() and abs(v) < _LIMIT) or (
            is_text(v) and re.fullmatch(r"-?[0-9]{1,9}", v.strip()) is not None
        )
        number = int(v) if whole else v
        if isinstance(number, int) and abs(number) < _LIMIT:
            out.append(number)
    return out

"""Where in a body the JSON parser stopped on a value it cannot hold, and why, in plain words.

pydantic's parser (jiter) refuses two kinds of JSON that is well formed: a number whose
integer part is longer than MAX_NUMBER_DIGITS digits, answered "number out of range at line 1
column 4310", and a ``\\u`` escape of half a UTF-16 surrogate pair, answered "unexpected end of
hex escape" or "lone leading surrogate in hex escape", neither naming the field nor saying what
is wrong with it. Python's own parser reads both, so the body is read again with it, only once
pydantic has refused it, and the first such value is named by its path (``body[3].age``).
"""

from __future__ import annotations

import json
from typing import Any

from aura.api.errors import field_path

MAX_NUMBER_DIGITS = 4300
"""The most digits jiter reads in a number's integer part (Python's default limit on the
digits of an integer converted from text)."""


class _Long:
    """A number whose integer part is too long for jiter, kept with its digit count."""

    def __init__(self, digits: int) -> None:
        self.digits = digits


class _Pairs(list):
    """An object as its (key, value) pairs in order, so a key can be looked at too."""


class _Key:
    """An object's key as it comes in the walk, before its value."""

    def __init__(self, name: str) -> None:
        self.name = name


def _number(text: str) -> Any:
    """``parse_int`` and ``parse_float`` of the second reading: a `_Long` for a number jiter
    refuses, else its value (never used but for its type)."""
    whole = text.lstrip("-").split(".")[0].split("e")[0].split("E")[0]
    return _Long(len(whole)) if len(whole) > MAX_NUMBER_DIGITS else 0


_DECODER = json.JSONDecoder(parse_int=_number, parse_float=_number, object_pairs_hook=_Pairs)


def _surrogate(text: str) -> str | None:
    """The first lone surrogate in ``text``, as the escape that wrote it (``\\ud800``)."""
    for char in text:
        if "\ud800" <= char <= "\udfff":
            return f"\\u{ord(char):04x}"
    return None


def json_fault(raw: bytes) -> dict[str, str] | None:
    """The field error of the first value in ``raw`` that is valid JSON but that jiter
    refuses, or None if there is none or Python's parser cannot read ``raw`` either. A key
    holding a lone surrogate is named by the object that holds it: its own name cannot be
    written back as UTF-8."""
    try:
        tree = _DECODER.decode(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    pending: list[tuple[tuple[str | int, ...], Any]] = [(("body",), tree)]
    while pending:  # depth first, in document order; no recursion for a deeply nested body
        loc, node = pending.pop()
        if isinstance(node, _Key):
            escape = _surrogate(node.name)
            where = "a key of this object"
        elif isinstance(node, str):
            escape, where = _surrogate(node), "the string"
        elif isinstance(node, _Long):
            return {
                "field": field_path(loc),
                "message": f"Invalid JSON: a number with {node.digits} digits before its "
                f"decimal point; at most {MAX_NUMBER_DIGITS} are read",
                "type": "json_invalid",
            }
        else:
            if isinstance(node, _Pairs):
                children = [c for k, v in node for c in ((loc, _Key(k)), ((*loc, k), v))]
            elif isinstance(node, list):
                children = [((*loc, index), value) for index, value in enumerate(node)]
            else:
                children = []
            pending.extend(reversed(children))
            continue
        if escape is not None:
            message = (
                f"Invalid JSON: {where} holds {escape}, half of a UTF-16 surrogate pair, "
                "which is no character; send the character itself or both halves of its pair"
            )
            return {"field": field_path(loc), "message": message, "type": "json_invalid"}
    return None

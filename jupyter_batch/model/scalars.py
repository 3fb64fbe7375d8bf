"""Parameter values typed as text — on a command line (``--param top=10``), in a magic,
in a form field — and back.

A value reads as JSON when it is a JSON number, boolean or string (``10`` → 10, ``1.5``,
``true``, ``"10"`` → the text 10), and as the text typed otherwise (``eu``, ``007``), so
a notebook parameter gets the type its default has without the user quoting anything,
and a quoted value stays text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from ..errors import InvalidInput
from .workflow import Scalar


def parse_scalar(text: str) -> Scalar:
    """What a typed value means."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, (str, int, float, bool)) else text


def scalar_text(value: Scalar) -> str:
    """The inverse of ``parse_scalar``: text that reads back as ``value``."""
    if isinstance(value, str):
        return value if parse_scalar(value) == value else json.dumps(value)
    return json.dumps(value)


def parse_pairs(pairs: Iterable[str] | None, option: str = "--param",
                typed: bool = True) -> dict[str, Scalar]:
    """``name=value`` pairs, each value read by ``parse_scalar`` (as text when not
    ``typed``); InvalidInput names a malformed pair."""
    values: dict[str, Scalar] = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"{option} {pair!r} must look like name=value")
        values[key.strip()] = parse_scalar(value) if typed else value
    return values

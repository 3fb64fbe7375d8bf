"""JSON values as they come in: what JSON cannot hold, and how to quote a bad value.

Python's ``json`` reads ``NaN``, ``Infinity`` and ``1e400`` (an overflowing number)
as floats, though JSON has no such numbers; written back they give text no other JSON
reader accepts. They are refused where documents come in (``non_finite``), and every
writer of ours encodes with ``allow_nan=False``, so a value that slipped through is an
error where it is written, never invalid JSON sent to someone else.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..errors import Problem


def shown(value: Any, limit: int = 60) -> str:
    """``value`` as it would appear in JSON (``NaN``, ``"false"``, ``{"a": 1}``), cut to
    ``limit`` characters, for a message that quotes it."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text[:limit]


def non_finite(value: Any, where: str = "") -> list[Problem]:
    """A problem for every NaN or infinite number in a JSON value, at its path
    (``tasks[0].timeout``).

    >>> non_finite({"tasks": [{"timeout": float("nan")}]})
    [Problem(where='tasks[0].timeout', message='must be a finite number, not NaN')]
    """
    if isinstance(value, float):
        if math.isfinite(value):
            return []
        return [Problem(where, f"must be a finite number, not {shown(value)}")]
    found: list[Problem] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (float, dict, list)):
                found += non_finite(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, (float, dict, list)):
                found += non_finite(item, f"{where}[{i}]")
    return found

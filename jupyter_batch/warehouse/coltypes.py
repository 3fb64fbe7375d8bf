"""Column types on the way into the warehouse: what a source's type becomes, and which
source type may be written into an existing column.

A database source's columns keep their declared types where the driver reports them;
otherwise a column's type is read off its first non-NULL value. Writing into an existing
table accepts the same type or a widening that loses nothing (INTEGER into BIGINT,
FLOAT into DOUBLE, DATE into TIMESTAMP); anything else is a mismatch the user must
resolve, never a silent cast.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

#: DuckDB's type for a Python type (bool before int: a bool is an int)
_BY_PYTHON: list[tuple[type, str]] = [
    (bool, "BOOLEAN"), (int, "BIGINT"), (float, "DOUBLE"), (str, "VARCHAR"),
    (bytes, "BLOB"), (bytearray, "BLOB"), (memoryview, "BLOB"),
    (dt.datetime, "TIMESTAMP"), (dt.date, "DATE"), (dt.time, "TIME"),
    (dt.timedelta, "INTERVAL"), (uuid.UUID, "UUID"),
]

#: source type → the other target types it fits into without loss
_WIDENS_TO: dict[str, set[str]] = {
    "TINYINT": {"SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE"},
    "SMALLINT": {"INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE"},
    "INTEGER": {"BIGINT", "HUGEINT", "DOUBLE"},
    "BIGINT": {"HUGEINT"},
    "FLOAT": {"DOUBLE"},
    "DATE": {"TIMESTAMP"},
}


def _decimal(precision: int | None, scale: int | None) -> str:
    scale = min(max(scale or 0, 0), 37)
    precision = min(max(precision or 38, scale + 1), 38)
    return f"DECIMAL({precision},{scale})"


def of_value(value: Any) -> str | None:
    """DuckDB's type for a value a driver returned (None for NULL or an unknown kind)."""
    if isinstance(value, decimal.Decimal):
        exponent = value.as_tuple().exponent
        return _decimal(None, -exponent if isinstance(exponent, int) else None)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return "TIMESTAMP WITH TIME ZONE"
    return next((name for kind, name in _BY_PYTHON if isinstance(value, kind)), None)


def of_sqlalchemy(sa_type: Any) -> str | None:
    """DuckDB's type for a column type SQLAlchemy reflected (None: read it off values)."""
    try:
        python_type = sa_type.python_type
    except NotImplementedError:
        return None
    if python_type is decimal.Decimal:
        return _decimal(getattr(sa_type, "precision", None), getattr(sa_type, "scale", None))
    if python_type is dt.datetime and getattr(sa_type, "timezone", False):
        return "TIMESTAMP WITH TIME ZONE"
    return next((name for kind, name in _BY_PYTHON if kind is python_type), None)


def fits(source: str, target: str) -> bool:
    """Whether values of DuckDB type ``source`` go into a ``target`` column unchanged."""
    source, target = source.upper(), target.upper()
    return source == target or target in _WIDENS_TO.get(source, set())

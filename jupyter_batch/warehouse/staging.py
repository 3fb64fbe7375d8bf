"""The staging table: a source's rows, read into a temporary table of the warehouse
connection before anything is written, so that types can be checked and the target
changed in one statement — or not at all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .names import quote

STAGING = "batch_source"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    #: False when no value told the type (a database column with only NULLs): such a
    #: column fits a target column of any type
    typed: bool = True


def staged_columns(con: Any, untyped: frozenset[str] = frozenset()) -> list[Column]:
    """The staging table's columns (``untyped`` names those whose type is a stand-in)."""
    return [Column(name, kind, name not in untyped)
            for name, kind, *_ in con.execute(f"DESCRIBE {STAGING}").fetchall()]


def count(con: Any) -> int:
    return con.execute(f"SELECT count(*) FROM {STAGING}").fetchone()[0]


def keep_newer(con: Any, column: str, since: Any) -> None:
    """Drop the staged rows whose ``column`` is not greater than ``since``."""
    con.execute(f"DELETE FROM {STAGING} WHERE NOT coalesce({quote(column)} > $since, false)",
                {"since": since})

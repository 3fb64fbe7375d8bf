"""The warehouse: an embedded analytic database (a DuckDB file) that sync tasks load and
sql tasks query, standing in for a Hive library."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TableInfo:
    name: str
    rows: int


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[list[Any]]
    #: more rows exist than were returned
    truncated: bool = False


class Warehouse:
    """Read access for front ends (tables, preview, query). Placeholder until the
    warehouse lands; every method says so instead of pretending."""

    def __init__(self, path: Path) -> None:
        self.path = path

"""data_quality: check a warehouse table (or a file, or a query); fail the task when any
check fails, with a report of every check in the log.

Checks, each given as a parameter (at least one):

- ``min_rows`` / ``max_rows``: the number of rows lies within the bounds;
- ``max_null_ratio``: ``column=ratio`` items — at most that share of the column's values
  is NULL (``email=0.05``; ``0`` means none may be);
- ``unique_keys``: items of one column or columns joined by ``+`` (``id``,
  ``order_id+line``) — no two rows share the key;
- ``accepted_values``: ``column=v1|v2|v3`` items — every non-NULL value of the column is
  one of those (compared as text).

Every check runs, whatever the others found; a column the source lacks fails its check.
The warehouse is only read. Outputs (when every check passed): ``checks``, ``rows``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jupyter_batch.errors import BatchError
from jupyter_batch.library import runtime
from jupyter_batch.model.program import Param, Program
from jupyter_batch.warehouse.names import quote

#: how many offending keys or values a failed check shows
SHOWN = 5


def null_ratios(items: list[str]) -> list[tuple[str, float]]:
    """``["email=0.05"]`` → ``[("email", 0.05)]``; ValueError saying what is wrong."""
    found = []
    for item in items:
        column, sep, ratio = item.partition("=")
        try:
            value = float(ratio)
        except ValueError:
            value = -1.0
        if not sep or not column.strip() or not 0 <= value <= 1:
            raise ValueError(f"{item!r} must be column=ratio with a ratio from 0 to 1 "
                             "(e.g. email=0.05)")
        found.append((column.strip(), value))
    return found


def keys(items: list[str]) -> list[list[str]]:
    """``["id", "order_id+line"]`` → ``[["id"], ["order_id", "line"]]``."""
    found = []
    for item in items:
        columns = [c.strip() for c in item.split("+")]
        if not all(columns):
            raise ValueError(f"{item!r} must be a column, or columns joined by + "
                             "(e.g. order_id+line)")
        found.append(columns)
    return found


def accepted(items: list[str]) -> list[tuple[str, list[str]]]:
    """``["status=open|closed"]`` → ``[("status", ["open", "closed"])]``."""
    found = []
    for item in items:
        column, sep, values = item.partition("=")
        if not sep or not column.strip() or not values:
            raise ValueError(f"{item!r} must be column=value|value|... "
                             "(e.g. status=open|closed)")
        found.append((column.strip(), values.split("|")))
    return found


_CHECKS = ("min_rows", "max_rows", "max_null_ratio", "unique_keys", "accepted_values")


def _rules(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    problems = []
    if all(values[name] in (None, []) for name in _CHECKS):
        problems.append(("", f"give at least one check: {', '.join(_CHECKS)}"))
    low, high = values["min_rows"], values["max_rows"]
    if low is not None and high is not None and low > high:
        problems.append(("max_rows", f"is {high}, less than min_rows ({low})"))
    return problems


PROGRAM = Program(
    name="data_quality",
    title="Data quality checks",
    description="Check a warehouse table: row count bounds, the largest share of NULLs per "
                "column, unique keys, accepted values. Fails with a report of every failed "
                "check.",
    params=(
        *runtime.source_params("the rows to check"),
        Param("min_rows", "integer", help="the fewest rows there may be"),
        Param("max_rows", "integer", help="the most rows there may be"),
        Param("max_null_ratio", "list", check=runtime.problem_of(null_ratios),
              help="column=ratio items: at most that share of NULLs (e.g. email=0.05, id=0)"),
        Param("unique_keys", "list", check=runtime.problem_of(keys),
              help="keys no two rows may share: a column, or columns joined by + "
                   "(e.g. id, order_id+line)"),
        Param("accepted_values", "list", check=runtime.problem_of(accepted),
              help="column=value|value items: the only values the column may hold "
                   "(e.g. status=open|closed)"),
    ),
    example={"source": "shop.orders", "min_rows": 1, "max_null_ratio": ["customer=0"],
             "unique_keys": ["id"], "accepted_values": ["status=open|paid|shipped"]},
    rules=_rules,
)


@dataclass(frozen=True)
class Result:
    check: str
    #: why it failed; None when it passed
    failure: str | None
    detail: str = ""


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _shown(keys: list[tuple[Any, ...]]) -> str:
    return ", ".join(repr(k[0]) if len(k) == 1 else str(tuple(k)) for k in keys[:SHOWN])


class Checker:
    """Runs the checks on one source, each to a Result."""

    def __init__(self, con: Any, source: str) -> None:
        self.con, self.source = con, source
        self.columns = {c.lower(): c for c in runtime.columns_of(con, source)}
        self.rows = self.one(f"SELECT count(*) FROM {source}")

    def one(self, sql: str, params: Any = None) -> Any:
        return self.con.execute(sql, params).fetchone()[0]

    def missing(self, check: str, columns: list[str]) -> Result | None:
        absent = [c for c in columns if c.lower() not in self.columns]
        if not absent:
            return None
        return Result(check, f"the source has no column {', '.join(map(repr, absent))} "
                             f"(columns: {', '.join(self.columns.values())})")

    def row_count(self, low: int | None, high: int | None) -> Result:
        name = (f"between {low} and {high} rows" if low is not None and high is not None
                else f"at least {_rows(low)}" if low is not None else f"at most {_rows(high or 0)}")
        if low is not None and self.rows < low:
            return Result(name, f"{_rows(self.rows)}, fewer than {low}")
        if high is not None and self.rows > high:
            return Result(name, f"{_rows(self.rows)}, more than {high}")
        return Result(name, None, _rows(self.rows))

    def null_ratio(self, column: str, most: float) -> Result:
        name = f"NULLs in {column} at most {most:g}"
        if (absent := self.missing(name, [column])) is not None:
            return absent
        nulls = self.one(f"SELECT count(*) FROM {self.source} WHERE {quote(column)} IS NULL")
        ratio = nulls / self.rows if self.rows else 0.0
        detail = f"{nulls} of {_rows(self.rows)} ({ratio:.2%})"
        return Result(name, detail if ratio > most else None, detail)

    def unique(self, key: list[str]) -> Result:
        name = f"{'+'.join(key)} unique"
        if (absent := self.missing(name, key)) is not None:
            return absent
        columns = runtime.column_list(key)
        duplicated = self.con.execute(
            f"SELECT {columns}, count(*) AS n FROM {self.source} GROUP BY ALL HAVING n > 1 "
            "ORDER BY n DESC").fetchall()
        if not duplicated:
            return Result(name, None)
        many = len(duplicated)
        return Result(name, f"{many} key{'s occur' if many != 1 else ' occurs'} more than "
                            f"once: {_shown([r[:-1] for r in duplicated])}")

    def accepted(self, column: str, values: list[str]) -> Result:
        name = f"{column} in {'|'.join(values)}"
        if (absent := self.missing(name, [column])) is not None:
            return absent
        column_sql = f"CAST({quote(column)} AS VARCHAR)"
        others = self.con.execute(
            f"SELECT {column_sql} AS v, count(*) AS n FROM {self.source} "
            "WHERE v IS NOT NULL AND NOT list_contains($values, v) GROUP BY v "
            "ORDER BY n DESC, v", {"values": values}).fetchall()
        if not others:
            return Result(name, None)
        rows = sum(n for _, n in others)
        shown = ", ".join(f"{v!r} ({n})" for v, n in others[:SHOWN])
        return Result(name, f"{_rows(rows)} with other values: {shown}")


def check(p: Mapping[str, Any]) -> dict[str, object]:
    with runtime.open_warehouse(read_only=True) as con:
        checker = Checker(con, runtime.source_sql(con, p["source"], p["source_options"]))
        results = []
        if p["min_rows"] is not None or p["max_rows"] is not None:
            results.append(checker.row_count(p["min_rows"], p["max_rows"]))
        results += [checker.null_ratio(c, r) for c, r in null_ratios(p["max_null_ratio"] or [])]
        results += [checker.unique(k) for k in keys(p["unique_keys"] or [])]
        results += [checker.accepted(c, v) for c, v in accepted(p["accepted_values"] or [])]
    failed = [r for r in results if r.failure]
    runtime.say(f"data quality of {p['source']}: {len(results)} checks on "
                f"{_rows(checker.rows)}")
    for r in results:
        runtime.say(f"  FAIL  {r.check}: {r.failure}" if r.failure
                    else f"  pass  {r.check}" + (f" ({r.detail})" if r.detail else ""))
    if failed:
        raise BatchError(f"{len(failed)} of {len(results)} data quality checks failed: "
                         + "; ".join(r.check for r in failed))
    runtime.say(f"all {len(results)} checks passed")
    return {"checks": len(results), "rows": checker.rows}


if __name__ == "__main__":
    sys.exit(runtime.main(PROGRAM, check))

"""The program a ``sql`` task runs: SQL statements on the warehouse, in one transaction.

    python -m jupyter_batch.warehouse.sql_runner [--dialect duckdb|hive] (--file F | --code SQL)

**One transaction.** Every statement of the task runs in one transaction on the
warehouse at ``$BATCH_WAREHOUSE``: when one fails, the task fails and nothing it did is
kept. (So the SQL itself may not say BEGIN, COMMIT or ROLLBACK.)

**Parameters are bound, never pasted in.** ``$name`` in the SQL — DuckDB's own named
parameters — is bound to the built-in variable or parameter ``name`` (``$ds``,
``$run_id``, ``$region``, ...): the names ``${...}`` placeholders know (read from
``JUPYTER_BATCH_VALUES``, see ``job``), with any character other than a letter, digit
or underscore written ``_`` (an upstream output ``clean.rows`` is ``$clean_rows``), in
any case. Values are text; DuckDB casts them to the type their place in the statement
needs (``WHERE day = $ds`` on a DATE column compares dates), or write ``$ds::DATE``.
In hql, Hive's ``${name}`` is bound the same way (see ``hive``).

**Hive.** With ``--dialect hive`` (an ``hql`` resource) every statement is first
translated; one that cannot be fails the task before anything runs.

**Log and outputs.** The log shows each statement as it runs (translated, for hql) and
its row count — rows a query returned, or rows a statement changed — with a query's
first rows. Outputs: ``statements=<number run>`` and ``rows=<the last count>``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BatchError, InvalidInput
from . import job
from .hive import Translated, translate

#: rows of a query's result shown in the log
SHOWN_ROWS = 10


@dataclass(frozen=True)
class Statement:
    """One statement to run (``sql`` is None for a skipped one) and where it came from."""

    number: int
    line: int
    sql: str | None
    params: frozenset[str] = frozenset()
    kind: str = ""
    note: str = ""

    @property
    def where(self) -> str:
        return f"statement {self.number} (line {self.line})"


def _split(con: Any, sql: str, number: int | None = None, line: int = 1) -> list[Statement]:
    """DuckDB's own statements of ``sql``, numbered from 1 — or all numbered ``number``
    at ``line``: those of the hql statement they were translated from."""
    import duckdb

    try:
        parsed = con.extract_statements(sql)
    except duckdb.ParserException as exc:
        what = f"hql statement {number} (line {line}), as translated," if number else "the SQL"
        raise InvalidInput(f"the warehouse cannot parse {what}: {exc}"
                           + (f"\n    {sql}" if number else "")) from None
    statements, offset = [], 0
    for index, found in enumerate(parsed, start=1):
        text = found.query.strip().removesuffix(";").rstrip()
        offset = max(sql.find(text, offset), offset)
        statements.append(Statement(
            number=number or index, line=line if number else 1 + sql.count("\n", 0, offset),
            sql=text, params=frozenset(found.named_parameters), kind=found.type.name))
    return statements


def prepare(con: Any, text: str, translated: list[Translated] | None) -> list[Statement]:
    """The statements to run — of ``text``, or of the hql translated from it — checked
    before any runs."""
    if translated is None:
        statements = _split(con, text)
    else:
        statements = [s for item in translated for s in _from_hive(con, item)]
    if not any(s.sql for s in statements):
        raise InvalidInput("there is no SQL statement to run")
    for s in statements:
        if s.kind == "TRANSACTION":
            raise InvalidInput(f"{s.where}: {s.sql!r} is not allowed: a task's statements "
                               "already run in one transaction")
        positional = sorted(p for p in s.params if p.isdigit())
        if positional:
            raise InvalidInput(f"{s.where}: positional parameters ($1, ?) are not "
                               "supported; name them: $ds, $region, ...")
    return statements


def _from_hive(con: Any, item: Translated) -> list[Statement]:
    if item.sql is None:
        return [Statement(item.number, item.line, None, note=item.note)]
    return _split(con, item.sql, item.number, item.line)


def bind(statement: Statement, values: Mapping[str, str]) -> dict[str, str]:
    """The values of the parameters ``statement`` uses; InvalidInput names an unknown one."""
    known = job.named(values)
    bound = {}
    for name in sorted(statement.params):
        if name.lower() not in known:
            raise InvalidInput(f"{statement.where} uses ${name}, which is neither a "
                               f"built-in variable nor a parameter (known: "
                               f"{', '.join('$' + k for k in sorted(known))})")
        bound[name] = known[name.lower()]
    return bound


def _plural(count: int, what: str) -> str:
    return f"{count} row{'s' * (count != 1)} {what}"


def _count_rows(cursor: Any) -> tuple[int, list[Any]]:
    """How many rows a query returned, and the first few, without holding them all."""
    shown = cursor.fetchmany(SHOWN_ROWS)
    count = len(shown)
    while batch := cursor.fetchmany(10_000):
        count += len(batch)
    return count, shown


def _execute(con: Any, statement: Statement, params: dict[str, str]) -> int | None:
    """Run one statement, log its count (and a query's first rows), and return the count
    (None when it has none)."""
    started = time.monotonic()
    cursor = con.execute(statement.sql, params)
    names = [d[0] for d in cursor.description or ()]
    shown: list[Any] = []
    if statement.kind != "SELECT" and names in ([], ["Count"], ["Success"]):
        row = cursor.fetchone() if names == ["Count"] else None
        count = row[0] if row else None
        what = "done" if count is None else _plural(count, "changed")
    else:
        count, shown = _count_rows(cursor)
        what = _plural(count, "returned")
    job.say(f"  -> {what} ({time.monotonic() - started:.2f} s)")
    if shown:
        job.say("    " + " | ".join(names))
        for row in shown:
            job.say("    " + " | ".join("NULL" if v is None else str(v) for v in row))
        if count is not None and count > len(shown):
            job.say(f"    ... ({count - len(shown)} more)")
    return count


def run_statements(con: Any, statements: list[Statement],
                   values: Mapping[str, str]) -> dict[str, object]:
    """Run ``statements`` in one transaction; on a failure roll back and raise."""
    import duckdb

    bound = [bind(s, values) if s.sql else {} for s in statements]
    ran, last = 0, None
    con.execute("BEGIN TRANSACTION")
    for statement, params in zip(statements, bound, strict=True):
        if statement.sql is None:
            job.say(f"{statement.where}: {statement.note}")
            continue
        job.say(f"{statement.where}:\n    " + statement.sql.replace("\n", "\n    "))
        try:
            count = _execute(con, statement, params)
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise BatchError(f"{statement.where} failed: {exc}\nthe task's changes were "
                             "rolled back: the warehouse is as it was before it ran") from None
        ran += 1
        last = count if count is not None else last
    con.execute("COMMIT")
    outputs: dict[str, object] = {"statements": ran}
    if last is not None:
        outputs["rows"] = last
    return outputs


def _args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m jupyter_batch.warehouse.sql_runner",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--dialect", choices=("duckdb", "hive"), default="duckdb")
    body = parser.add_mutually_exclusive_group(required=True)
    body.add_argument("--file", help="a file of statements")
    body.add_argument("--code", help="the statements themselves")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _args(argv)

    def body() -> dict[str, object]:
        text = args.code if args.code is not None else Path(args.file).read_text("utf-8")
        # translated first: an untranslatable statement fails before the warehouse waits
        translated = translate(text) if args.dialect == "hive" else None
        with job.open_warehouse() as con:
            return run_statements(con, prepare(con, text, translated), job.values())

    return job.run(body)


if __name__ == "__main__":
    sys.exit(main())

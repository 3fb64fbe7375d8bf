"""``jupyter batch warehouse tables|preview|query``: look into the warehouse."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from .context import open_service
from .output import emit_json, table


def _show(result: Any, as_json: bool) -> None:
    if as_json:
        emit_json(result)
        return
    table(result.columns, result.rows, "no rows")
    if result.truncated:
        print(f"(the first {len(result.rows)} rows; --limit shows more)")


def tables(args: argparse.Namespace) -> int:
    items = open_service().warehouse_tables()
    if args.json:
        emit_json(items)
    else:
        table(["TABLE", "ROWS"], [[t.name, t.rows] for t in items],
              "the warehouse has no tables yet: a sync or sql task creates them")
    return 0


def preview(args: argparse.Namespace) -> int:
    _show(open_service().warehouse_preview(args.table, args.limit), args.json)
    return 0


def query(args: argparse.Namespace) -> int:
    # sqlglot logs the statements it cannot parse fully; the refusal that follows says
    # what is wrong in one line
    logging.getLogger("sqlglot").addHandler(logging.NullHandler())
    _show(open_service().warehouse_query(args.sql, args.limit), args.json)
    return 0


def register(nouns: Any) -> None:
    noun = nouns.add_parser("warehouse", help="the tables that sync and sql tasks write")
    verbs = noun.add_subparsers(dest="verb", metavar="<verb>", required=True)

    p = verbs.add_parser("tables", help="list the tables with their row counts")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=tables)

    p = verbs.add_parser("preview", help="show the first rows of a table")
    p.add_argument("table", metavar="TABLE", help="TABLE or SCHEMA.TABLE")
    p.add_argument("--limit", type=int, default=20, help="rows to show (default 20)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=preview)

    p = verbs.add_parser("query", help="run one read-only query (SELECT, WITH, SHOW, DESCRIBE)")
    p.add_argument("sql", metavar="SQL")
    p.add_argument("--limit", type=int, default=1000, help="rows to show at most (default 1000)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=query)

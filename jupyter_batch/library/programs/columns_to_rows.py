"""columns_to_rows: unpivot columns into key/value rows.

Reads a warehouse table (or a file, or a query), keeps the id columns on every row and
turns each value column into a row of its own: the column's name in ``key_name``, its
value in ``value_name``. Writes the rows into a warehouse table, in one transaction.

    id  jan  feb           id  month  sales
    1   10   20     →      1   jan    10
                           1   feb    20

Value columns of different types (a number and a text) are written as text.
Outputs: ``rows_read``, ``rows_written``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from jupyter_batch.errors import InvalidInput
from jupyter_batch.library import runtime
from jupyter_batch.model.program import Param, Program
from jupyter_batch.warehouse.names import quote


def _rules(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    if not values["id_columns"] and not values["value_columns"]:
        return [("id_columns", "name the id columns (kept on every row) or the value "
                               "columns (turned into rows), or both")]
    return []


PROGRAM = Program(
    name="columns_to_rows",
    title="Columns to rows (unpivot)",
    description="Unpivot columns of a warehouse table (or a file) into key/value rows, "
                "written into a warehouse table.",
    params=(
        *runtime.source_params("the rows to unpivot"),
        Param("id_columns", "list", help="columns kept on every row (default: every column "
                                         "that is not a value column)"),
        Param("value_columns", "list", help="columns turned into rows (default: every "
                                            "column that is not an id column)"),
        Param("key_name", "string", default="key",
              help="the column that holds each value's column name"),
        Param("value_name", "string", default="value", help="the column that holds the value"),
        Param("include_nulls", "boolean", default=False,
              help="also write a row for a NULL value (left out by default)"),
        runtime.TARGET,
        runtime.MODE,
    ),
    example={"source": "sales_by_month", "id_columns": ["region", "product"],
             "key_name": "month", "value_name": "sales", "target": "sales_long"},
    rules=_rules,
)

_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
            "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "DECIMAL")


def _same_kind(types: list[str]) -> bool:
    """Whether DuckDB can put values of these types in one column as they are."""
    return len(set(types)) <= 1 or all(t.startswith(_NUMERIC) for t in types)


def unpivot(con: Any, p: Mapping[str, Any]) -> dict[str, object]:
    source = runtime.source_sql(con, p["source"], p["source_options"])
    columns = runtime.columns_of(con, source)
    given = runtime.pick(p["value_columns"] or [], columns, "value_columns")
    ids = runtime.pick(p["id_columns"] or [c for c in columns if c not in given], columns,
                       "id_columns")
    values = given or [c for c in columns if c not in ids]
    if not values:
        raise InvalidInput("no value columns are left to unpivot")
    types = [columns[c] for c in values]
    if _same_kind(types):
        picked = runtime.column_list(values)
    else:
        runtime.say(f"the value columns have different types ({', '.join(sorted(set(types)))}"
                    "): their values are written as text")
        picked = ", ".join(f"CAST({quote(c)} AS VARCHAR) AS {quote(c)}" for c in values)
    selected = ", ".join([*map(quote, ids), picked])
    nulls = " INCLUDE NULLS" if p["include_nulls"] else ""
    key, value = quote(p["key_name"]), quote(p["value_name"])
    rows_sql = (f"SELECT * FROM (SELECT {selected} FROM {source}) UNPIVOT{nulls} "
                f"({value} FOR {key} IN ({runtime.column_list(values)}))")
    read = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
    runtime.say(f"unpivoting {len(values)} column{'s' * (len(values) != 1)} of {read} rows "
                f"({', '.join(values)}), keeping {', '.join(ids) or 'no id column'}")
    written = runtime.write_table(con, rows_sql, p["target"], p["mode"])
    return {"rows_read": read, "rows_written": written}


def run(p: Mapping[str, Any]) -> dict[str, object]:
    with runtime.open_warehouse() as con, runtime.transaction(con):
        return unpivot(con, p)


if __name__ == "__main__":
    sys.exit(runtime.main(PROGRAM, run))

"""rows_to_columns: pivot key/value rows into columns (the reverse of columns_to_rows).

Reads a warehouse table (or a file, or a query) and makes one row per combination of
the id columns, with a column for each key: each key's value from ``value_column``,
combined by ``aggregate`` when a key occurs more than once for the same ids. Writes the
rows into a warehouse table, in one transaction.

    id  month  sales            id  feb  jan
    1   jan    10        →      1   20   10
    1   feb    20

Outputs: ``rows_read``, ``rows_written``, ``columns`` (the key columns made).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from jupyter_batch.errors import InvalidInput
from jupyter_batch.library import runtime
from jupyter_batch.model.program import Param, Program
from jupyter_batch.warehouse.names import quote

AGGREGATES = ("first", "sum", "min", "max", "avg", "count")

PROGRAM = Program(
    name="rows_to_columns",
    title="Rows to columns (pivot)",
    description="Pivot key/value rows of a warehouse table (or a file) into one column per "
                "key, written into a warehouse table.",
    params=(
        *runtime.source_params("the rows to pivot"),
        Param("key_column", "string", required=True,
              help="the column whose values become column names"),
        Param("value_column", "string", required=True,
              help="the column whose values fill the new columns"),
        Param("id_columns", "list", help="the columns that identify an output row (default: "
                                         "every column but the key and value columns)"),
        Param("columns", "list", help="the keys that become columns, in this order "
                                      "(default: every key found, sorted)"),
        Param("aggregate", "string", default="first", choices=AGGREGATES,
              help="how values of the same key and ids are combined"),
        runtime.TARGET,
        runtime.MODE,
    ),
    example={"source": "sales_long", "key_column": "month", "value_column": "sales",
             "id_columns": ["region", "product"], "target": "sales_by_month",
             "mode": "replace"},
)


def pivot(con: Any, p: Mapping[str, Any]) -> dict[str, object]:
    source = runtime.source_sql(con, p["source"], p["source_options"])
    columns = runtime.columns_of(con, source)
    key, value = runtime.pick([p["key_column"], p["value_column"]], columns,
                              "key_column and value_column")
    ids = runtime.pick(p["id_columns"] or [c for c in columns if c not in (key, value)],
                       columns, "id_columns")
    keys = p["columns"] or [row[0] for row in con.execute(
        f"SELECT DISTINCT CAST({quote(key)} AS VARCHAR) AS k FROM {source} "
        "WHERE k IS NOT NULL ORDER BY k").fetchall()]
    if not keys:
        raise InvalidInput("there are no keys to make columns of: the source is empty")
    listed = ", ".join("'" + k.replace("'", "''") + "'" for k in keys)
    group = f" GROUP BY {runtime.column_list(ids)}" if ids else ""
    selected = ", ".join([*map(quote, ids), f"CAST({quote(key)} AS VARCHAR) AS {quote(key)}",
                          quote(value)])
    rows_sql = (f"PIVOT (SELECT {selected} FROM {source}) ON {quote(key)} IN ({listed}) "
                f"USING {p['aggregate']}({quote(value)}){group}")
    read = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
    runtime.say(f"pivoting {read} rows: {len(keys)} key column{'s' * (len(keys) != 1)} "
                f"({', '.join(keys)}) by {', '.join(ids) or 'no id column'}")
    written = runtime.write_table(con, rows_sql, p["target"], p["mode"])
    return {"rows_read": read, "rows_written": written, "columns": ",".join(keys)}


def run(p: Mapping[str, Any]) -> dict[str, object]:
    with runtime.open_warehouse() as con, runtime.transaction(con):
        return pivot(con, p)


if __name__ == "__main__":
    sys.exit(runtime.main(PROGRAM, run))

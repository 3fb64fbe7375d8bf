"""The warehouse: an embedded analytic database (a DuckDB file) that sync tasks load and
sql tasks query, standing in for a Hive library.

``Warehouse`` reads it for people (tables, preview, query). Tasks change it only in
their own processes: ``sql_runner`` and ``sync_runner`` are the programs the ``sql``
and ``sync`` task types run, each doing all of its work in one transaction.
"""

from .browse import QueryResult, TableInfo, Warehouse

__all__ = ["QueryResult", "TableInfo", "Warehouse"]

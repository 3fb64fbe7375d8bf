"""Which SQL a front end may run on the warehouse: one statement that only reads.

The statement is parsed (sqlglot, DuckDB dialect), not pattern-matched. This is the
first of two guards: the connection a query runs on is read-only as well, with no
access to other files or databases.
"""

from __future__ import annotations

from ..errors import InvalidInput


def parse_problem(exc: Exception) -> str:
    """A sqlglot ParseError as one plain line (its own text underlines with terminal
    escapes): what it expected, and where the first problem is."""
    errors = getattr(exc, "errors", None) or []
    if not errors:
        return str(exc).splitlines()[0]
    described = list(dict.fromkeys(e["description"] for e in errors))
    return f"{'; '.join(described)} (line {errors[0]['line']}, column {errors[0]['col']})"


def check_read_only(sql: str) -> None:
    """InvalidInput unless ``sql`` is a single SELECT / WITH / SHOW / DESCRIBE (or
    SUMMARIZE) statement."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ErrorLevel, ParseError

    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb",
                                               error_level=ErrorLevel.RAISE) if s]
    except ParseError as exc:
        raise InvalidInput(f"cannot parse the query: {parse_problem(exc)}") from None
    if len(statements) != 1:
        raise InvalidInput(f"a query is one statement; this has {len(statements)}")
    statement = statements[0]
    if not isinstance(statement, (exp.Query, exp.Show, exp.Describe, exp.Summarize)):
        kind = statement.key.upper() if not isinstance(statement, exp.Command) \
            else str(statement.this).upper()
        raise InvalidInput(f"only a SELECT, WITH, SHOW or DESCRIBE query can run here, "
                           f"not {kind}; change the warehouse with a sql task")

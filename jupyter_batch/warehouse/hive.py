"""Hive SQL (``hql``) to the warehouse's SQL (DuckDB), one statement at a time, with
sqlglot.

What sqlglot translates, it translates; what it cannot is an error naming the construct
and the statement — never a silent pass-through. On top of sqlglot:

- ``${name}`` (and ``${hivevar:name}`` / ``${hiveconf:name}``), Hive's variable
  substitution, becomes the bound parameter ``$name``: the value is never pasted into
  the SQL text. Inside quotes it would stay literal text, so that is an error.
- ``INSERT OVERWRITE TABLE t ...`` (no partition) becomes ``DELETE FROM t`` then
  ``INSERT INTO t ...``; in the task's one transaction that is the same thing.
- ``SET hive.exec...``-style session settings mean nothing on the warehouse and are
  skipped, with a note in the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInput
from .readonly import parse_problem


@dataclass(frozen=True)
class Translated:
    """One hql statement: where it was, its text, and the DuckDB SQL to run (None when
    it is skipped; ``note`` says why)."""

    number: int
    line: int
    hql: str
    sql: str | None
    note: str = ""


def split(text: str) -> list[tuple[int, str]]:
    """The statements of ``text`` as (line, text), cut at the semicolons the Hive
    tokenizer sees (so not those inside quotes or comments)."""
    from sqlglot.dialects.hive import Hive
    from sqlglot.errors import TokenError
    from sqlglot.tokens import TokenType

    try:
        tokens = Hive().tokenize(text)
    except TokenError as exc:
        raise InvalidInput(f"cannot read the hql: {exc}") from None
    statements, current = [], []
    for token in [*tokens, None]:
        if token is None or token.token_type == TokenType.SEMICOLON:
            if current:
                statements.append((current[0].line, text[current[0].start:current[-1].end + 1]))
            current = []
        else:
            current.append(token)
    return statements


def translate(text: str) -> list[Translated]:
    """Every statement of ``text`` translated; InvalidInput at the first that cannot be."""
    return [_translate_one(number, line, hql)
            for number, (line, hql) in enumerate(split(text), start=1)]


def _translate_one(number: int, line: int, hql: str) -> Translated:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ErrorLevel, ParseError, UnsupportedError

    def fail(problem: str) -> InvalidInput:
        return InvalidInput(f"hql statement {number} (line {line}) cannot be translated to "
                            f"the warehouse's SQL: {problem}\n    {hql}")

    try:
        tree = sqlglot.parse_one(hql, read="hive", error_level=ErrorLevel.RAISE)
    except ParseError as exc:
        raise fail(f"cannot parse it: {parse_problem(exc)}") from None
    if isinstance(tree, exp.Command):
        raise fail(f"{str(tree.this).upper()} has no equivalent")
    if isinstance(tree, exp.Set):
        return Translated(number, line, hql, None, "skipped: a Hive session setting")
    for literal in tree.find_all(exp.Literal):
        if literal.is_string and "${" in literal.this:
            raise fail(f"the placeholder in '{literal.this}' is inside quotes; write it "
                       "without quotes (${name} is bound as a parameter, never pasted in)")
    for param in list(tree.find_all(exp.Parameter)):
        named = param.args.get("expression") or param.this
        param.replace(exp.Parameter(this=exp.var(named.name)))
    try:
        return Translated(number, line, hql, ";\n".join(
            part.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE)
            for part in _overwrite_as_delete(tree)))
    except UnsupportedError as exc:
        problems = [p.strip() for p in str(exc).split("\n\n") if p.strip()]
        raise fail("; ".join(_construct(tree, p) for p in problems)) from None


def _construct(tree: Any, problem: str) -> str:
    """sqlglot says "Unsupported property fileformatproperty"; say ``STORED AS ORC``
    (the construct as the user wrote it)."""
    prefix = "Unsupported property "
    if problem.startswith(prefix):
        key = problem[len(prefix):].strip()
        for node in tree.walk():
            if node.key == key:
                return f"{node.sql(dialect='hive')} is not supported"
    return problem


def _overwrite_as_delete(tree: Any) -> list[Any]:
    """``INSERT OVERWRITE TABLE t`` as ``DELETE FROM t`` + ``INSERT INTO t``."""
    from sqlglot import exp
    from sqlglot.errors import UnsupportedError

    if not (isinstance(tree, exp.Insert) and tree.args.get("overwrite")):
        return [tree]
    target = tree.this
    if not isinstance(target, exp.Table) or target.args.get("partition"):
        raise UnsupportedError("INSERT OVERWRITE of a partition or directory (the warehouse "
                               "has no Hive partitions or directories)")
    insert = tree.copy()
    insert.set("overwrite", False)
    return [exp.delete(target.copy()), insert]

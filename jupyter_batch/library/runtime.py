"""What a library program uses when it runs: its parameters, the rows it reads, the
warehouse table it writes, its log and outputs.

A program is an ordinary ``python`` task (``python library/<name>.py`` in the task's
working directory), so it has the limits, retries, log and outputs of any task. Its
parameters arrive as every task's do, in ``BATCH_PARAM_<NAME>`` environment variables
(the task's params, overridden by the run's; see ``model.variables``), and are checked
against its schema once more here — the same check that ran before the workflow was
saved. Exit status 0 done, 1 failed with an ``error:`` paragraph saying why
(``warehouse.job.run``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ..errors import InvalidInput, NotFound
from ..model.program import Param, Program, check_params, with_defaults
from ..model.variables import env_name
from ..warehouse import job
from ..warehouse.files import stage_file
from ..warehouse.load import target_columns, write
from ..warehouse.names import TableName, quote, writable
from ..warehouse.options import FileSource, format_of
from ..warehouse.readonly import check_read_only
from ..warehouse.staging import STAGING, staged_columns
from ..warehouse.storage import is_url

say = job.say
open_warehouse = job.open_warehouse

#: a warehouse table as a user names it: ``name`` or ``schema.name``
TABLE = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?\s*$")
#: the temporary table a file source is read into
INPUT = "batch_input"
WRITE_MODES = ("overwrite", "append", "replace")


# --- parameters ---------------------------------------------------------------------------

def problem_of(parse: Callable[[Any], object]) -> Callable[[Any], str | None]:
    """A Param ``check`` from a function that raises InvalidInput or ValueError, saying
    why, for a value it cannot take."""
    def problem(value: Any) -> str | None:
        try:
            parse(value)
        except (InvalidInput, ValueError) as exc:
            return str(exc)
        return None

    return problem


def json_object(text: str | None) -> dict[str, Any]:
    """A parameter holding a JSON object (``{}`` when not given)."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not valid JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(value, dict):
        raise InvalidInput("must be a JSON object, like {\"key\": \"value\"}")
    return value


def storage_param(name: str, what: str) -> Param:
    return Param(name, "string", check=problem_of(json_object), help=(
        f"fsspec options for {what}, as a JSON object, e.g. "
        '{"client_kwargs": {"endpoint_url": "http://127.0.0.1:9000"}} for an '
        "S3-compatible server; credentials are best left to the environment "
        "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ...)"))


def source_params(what: str) -> tuple[Param, Param]:
    """``source`` (what ``source_sql`` reads) and ``source_options``."""
    return (Param("source", "string", required=True, help=(
                f"{what}: a warehouse table (name or schema.name), a file (local path or "
                "fsspec URL ending in .csv, .parquet or .jsonl) or one read-only query "
                "(SELECT ...)")),
            storage_param("source_options", "a file source at a URL"))


TARGET = Param("target", "string", required=True, check=problem_of(writable),
               help="the warehouse table to write (name or schema.name)")
MODE = Param("mode", "string", default="overwrite", choices=WRITE_MODES, help=(
    "overwrite: replace the rows (the table keeps its columns); append: add the rows; "
    "replace: drop the table and create it anew (when its columns change)"))


def params(program: Program) -> dict[str, Any]:
    """The program's parameters from the environment, typed, defaults filled in;
    InvalidInput naming every one that does not fit its schema."""
    given = {p.name: os.environ[env_name(p.name)] for p in program.params
             if env_name(p.name) in os.environ}
    typed, problems = check_params(program, given)
    if problems:
        raise InvalidInput(f"the parameters do not fit program {program.name}:\n"
                           + "\n".join(f"  {p}" for p in problems))
    return with_defaults(program, typed)


def values() -> dict[str, str]:
    """The task's built-in variables and parameters by name (``ds``, ``run_id``, a
    parameter ``region``...), for ``:name`` placeholders in a query."""
    found = {}
    for key, value in os.environ.items():
        if key.startswith("BATCH_PARAM_"):
            found[key[len("BATCH_PARAM_"):].lower()] = value
        elif key.startswith("BATCH_"):
            found.setdefault(key[len("BATCH_"):].lower(), value)
    return found


def main(program: Program, body: Callable[[dict[str, Any]], Mapping[str, object]]) -> int:
    """Run a program: its parameters read and checked, then ``body(params)``, whose
    result becomes the task's outputs. The exit status to end with."""
    return job.run(lambda: body(params(program)))


# --- the rows a program reads -------------------------------------------------------------

def _is_file(source: str) -> bool:
    return is_url(source) or format_of(source) is not None or source.startswith(("/", "./"))


def source_sql(con: Any, source: str, source_options: str | None = None) -> str:
    """What to put after ``FROM`` to read ``source``: a warehouse table (which must
    exist), a file (read into a temporary table first; ``source_options`` is the JSON
    text of its fsspec options), or a read-only query."""
    if _is_file(source):
        fmt = format_of(source)
        if fmt is None:
            raise InvalidInput(f"source {source!r}: name a file ending in .csv, .parquet or "
                               ".jsonl (optionally .gz or .zst)")
        say(f"reading the {fmt} file {source}")
        stage_file(con, FileSource(source, fmt, json_object(source_options)), INPUT)
        return INPUT
    if TABLE.match(source):
        name = TableName.parse(source)
        if target_columns(con, name) is None:
            raise NotFound(f"the warehouse has no table {source.strip()!r}")
        return name.sql
    check_read_only(source)
    return f"({source.strip().rstrip(';')})"


def columns_of(con: Any, relation: str) -> dict[str, str]:
    """Column name → DuckDB type of what ``relation`` (from ``source_sql``) reads."""
    return {row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}")
            .fetchall()}


def pick(names: list[str], columns: Mapping[str, str], what: str) -> list[str]:
    """``names`` as the source spells its columns (DuckDB compares them without case);
    InvalidInput naming every one the source lacks."""
    spelled = {c.lower(): c for c in columns}
    missing = [n for n in names if n.lower() not in spelled]
    if missing:
        raise InvalidInput(f"{what}: the source has no column {', '.join(map(repr, missing))} "
                           f"(columns: {', '.join(columns)})")
    return [spelled[n.lower()] for n in names]


# --- the table a program writes ------------------------------------------------------------

@contextmanager
def transaction(con: Any) -> Iterator[None]:
    """All of the block's changes to the warehouse, or none of them."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def write_table(con: Any, rows_sql: str, target: str, mode: str) -> int:
    """Write what ``rows_sql`` selects into the warehouse table ``target`` by ``mode``
    (see ``MODE``); the number of rows written. Run it inside ``transaction``."""
    name = writable(target)
    con.execute(f"CREATE TEMP TABLE {STAGING} AS {rows_sql}")
    if mode == "replace":
        con.execute(f"DROP TABLE IF EXISTS {name.sql}")
    written = write(con, name, "append" if mode == "append" else "overwrite", (),
                    staged_columns(con))
    say(f"wrote {written.rows} row{'s' * (written.rows != 1)} into {name} ({mode})")
    return written.rows


def column_list(names: list[str]) -> str:
    return ", ".join(quote(n) for n in names)

"""``jupyter batch library list|show|use|copy`` through real subprocesses: tables for
people, ``--json`` for scripts, and every bad input as one line per problem on stderr
with exit status 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from jupyter_batch import library
from tests.helpers import Result

Cli = Callable[..., Result]
BAD_INPUT = 2


def test_list_and_show(cli: Cli) -> None:
    table = cli("library", "list")
    assert table.code == 0, table.err
    assert table.out.splitlines()[0].split() == ["NAME", "VERSION", "TITLE"]
    assert [line.split()[:2] for line in table.out.splitlines()[1:]] == [
        [name, "1"] for name in library.NAMES]
    listed = cli("library", "list", "--json").json()
    assert [(p["name"], p["resource"], p["version"]) for p in listed] == [
        (n, f"library/{n}.py", 1) for n in library.NAMES]

    shown = cli("library", "show", "file_sync")
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    assert lines[0] == "file_sync: File sync"
    assert any(line.split()[:3] == ["compare", "string", "(size_mtime|checksum)"]
               for line in lines)
    assert any(line.startswith("example: jupyter batch library use file_sync --workflow "
                               "my_file_sync --param source=s3://raw-data/exports/ ")
               for line in lines)
    detail = cli("library", "show", "library/file_sync.py", "--json").json()
    assert detail["source"] == library.source("file_sync").decode("utf-8")
    assert [v["version"] for v in detail["versions"]] == [1]


def test_use_then_run_the_workflow_it_made(cli: Cli, data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        con.execute("CREATE TABLE sales AS SELECT 'eu' AS region, 1 AS jan, 2 AS feb")

    used = cli("library", "use", "columns_to_rows", "--workflow", "sales_long",
               "--param", "source=sales", "--param", "id_columns=region",
               "--param", "target=sales_long", "--cron", "0 2 * * *",
               "--timezone", "Europe/Berlin", "--publish")
    assert used.code == 0, used.err
    assert used.out == ("published workflow 'sales_long' version 1: it runs library program "
                        "columns_to_rows; run it now with 'jupyter batch workflow run "
                        "sales_long'\n")
    shown = cli("workflow", "show", "sales_long", "--json").json()
    assert shown["draft"]["schedule"] == {"cron": "0 2 * * *", "timezone": "Europe/Berlin"}

    ran = cli("workflow", "run", "sales_long", "--date", "2026-11-20", "--json")
    assert ran.code == 0, ran.err
    assert ran.json()["tasks"][0]["outputs"] == {"rows_read": "1", "rows_written": "2"}

    draft = cli("library", "use", "data_quality", "--workflow", "dq", "--param",
                "source=sales_long", "--param", "min_rows=1", "--json").json()
    assert (draft["state"], draft["draft"]["tasks"][0]["params"]) == (
        "draft", {"source": "sales_long", "min_rows": 1})


def test_every_bad_parameter_is_one_line_and_nothing_is_saved(cli: Cli) -> None:
    result = cli("library", "use", "data_quality", "--workflow", "dq",
                 "--param", "min_rows=abc", "--param", "colour=red",
                 "--param", "accepted_values=status", "--cron", "0 25 * * *")

    assert result.code == BAD_INPUT and result.out == ""
    assert [line.split(":")[1].strip() for line in result.err_lines] == [
        "params.colour", "params.source", "params.min_rows", "params.accepted_values",
        "schedule.cron"]
    assert all(line.startswith("error: ") for line in result.err_lines)
    assert cli("workflow", "list", "--json").json() == []


def test_bad_input_exits_2_with_one_line(cli: Cli, write: Callable[[str, str], Path]) -> None:
    cli("library", "use", "data_quality", "--workflow", "dq", "--param", "source=t",
        "--param", "min_rows=1")
    write("mine.py", "print('mine')\n")
    for args, expected in [
        (["library", "show", "nope"], "error: no library program 'nope' (programs: "),
        (["library", "use", "data_quality", "--workflow", "dq", "--param", "source=t",
          "--param", "min_rows=1"], "error: a workflow named 'dq' exists already"),
        (["library", "use", "data_quality", "--workflow", "x", "--param", "oops"],
         "error: --param 'oops' must look like name=value"),
        (["library", "use", "data_quality", "--workflow", "x", "--timezone", "UTC"],
         "error: --timezone goes with --cron"),
        (["library", "use", "data_quality"], "the following arguments are required: "
                                             "--workflow"),
        (["library", "copy", "data_quality", "x.sh"],
         "error: 'x.sh': a copy of a program is a python resource; name it NAME.py"),
        (["resource", "add", "mine.py", "--name", "library/data_quality.py"],
         "error: 'library/data_quality.py' is in library/, the read-only namespace of the "
         "built-in programs; to change the program, copy it into a resource of your own: "
         "jupyter batch library copy data_quality my_data_quality.py"),
    ]:
        result = cli(*args)
        assert result.code == BAD_INPUT, (args, result)
        assert result.out == "" and len(result.err_lines) == 1, (args, result.err)
        assert expected in result.err_lines[0], (args, result.err)


def test_copy_into_a_resource_of_ones_own(cli: Cli) -> None:
    copied = cli("library", "copy", "table_export", "my_export.py")
    assert copied.code == 0, copied.err
    assert copied.out == ("copied library/table_export.py@1 to my_export.py@1; change it and "
                          "add it again with 'jupyter batch resource add my_export.py'\n")
    assert cli("resource", "cat", "my_export.py").out == library.source(
        "table_export").decode("utf-8")
    again = cli("library", "copy", "table_export", "my_export.py", "--json")
    assert again.code == BAD_INPUT
    assert again.err_lines == ["error: resource 'my_export.py' exists already; choose "
                               "another name"]

"""``jupyter batch`` through real subprocesses: every verb, ``--json`` for scripts, and every
error as exactly one line on stderr with exit status 2."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from jupyter_batch import library
from jupyter_batch.cli import build_parser
from jupyter_batch.engine import RunFolders
from jupyter_batch.service import BatchService
from tests.helpers import AUTHOR, Result, canonical, shell, workflow_doc
from tests.tasks.test_notebook import notebook_bytes

Cli = Callable[..., Result]
Write = Callable[[str, Any], Path]

BAD_INPUT = 2


def pipeline() -> dict[str, Any]:
    return workflow_doc("pipe", description="a small pipeline", tasks=[
        {"id": "extract", "type": "shell", "resource": "extract.sh"},
        {"id": "clean", "type": "python", "resource": "clean.py", "retries": 1},
    ], relations=[("extract", "clean")], schedule={"cron": "0 2 * * *", "timezone": "UTC"})


def assert_one_error_line(result: Result, expected: str) -> None:
    assert result.code == BAD_INPUT, result
    assert result.out == ""
    assert len(result.err_lines) == 1, result.err
    assert expected in result.err_lines[0], result.err


def test_help_lists_the_nouns(cli: Cli) -> None:
    result = cli("--help")

    assert result.code == 0, result.err
    assert result.out.startswith("usage: jupyter batch")
    assert "resource" in result.out and "workflow" in result.out


# --- resource ----------------------------------------------------------------------------------


def test_resource_add_list_versions_cat_diff(cli: Cli, write: Write) -> None:
    write("extract.sh", "echo one\n")
    added = cli("resource", "add", "extract.sh", "-m", "first cut")
    assert (added.code, added.out) == (0, "added extract.sh@1 (9 bytes)\n")

    unchanged = cli("resource", "add", "extract.sh", "-m", "same again")
    assert unchanged.code == 0
    assert "unchanged: extract.sh is identical to version 1; no new version" in unchanged.out

    write("extract.sh", "echo two\n")
    second = cli("resource", "add", "extract.sh", "-m", "second", "--author", "zoe",
                 "--json").json()
    assert second["created"] is True
    assert {k: second["version"][k] for k in ("name", "version", "author", "message")} == {
        "name": "extract.sh", "version": 2, "author": "zoe", "message": "second"}

    listed = cli("resource", "list", "--json").json()
    assert [(r["name"], r["format"], r["latest_version"]) for r in listed
            if r["namespace"] == "user"] == [("extract.sh", "sh", 2)]
    table = cli("resource", "list")
    assert table.out.splitlines()[0].split() == ["NAME", "FORMAT", "LATEST", "UPDATED"]
    assert table.out.splitlines()[1].split()[:3] == ["extract.sh", "sh", "2"]

    versions = cli("resource", "versions", "extract.sh", "--json").json()
    assert [(v["version"], v["author"], v["message"]) for v in versions] == [
        (1, AUTHOR, "first cut"), (2, "zoe", "second")]
    assert len(cli("resource", "versions", "extract.sh").out.splitlines()) == 3

    assert cli("resource", "cat", "extract.sh@1").out == "echo one\n"
    assert cli("resource", "cat", "extract.sh").out == "echo two\n"

    diff = cli("resource", "diff", "extract.sh", "1", "2")
    assert diff.code == 0
    assert diff.out == ("--- extract.sh@1\n+++ extract.sh@2\n@@ -1 +1 @@\n"
                        "-echo one\n+echo two\n")


def test_resource_add_with_another_name(cli: Cli, write: Write) -> None:
    write("local-file.py", "print(1)\n")

    result = cli("resource", "add", "local-file.py", "--name", "clean.py", "--json").json()

    assert (result["version"]["name"], result["version"]["version"]) == ("clean.py", 1)


def test_a_new_store_lists_the_librarys_programs(cli: Cli) -> None:
    result = cli("resource", "list")

    assert result.code == 0, result.err
    assert [line.split()[:3] for line in result.out.splitlines()[1:]] == [
        [f"library/{name}.py", "py", "1"] for name in sorted(library.NAMES)]


@pytest.mark.parametrize(("args", "expected"), [
    (["resource", "cat", "unknown.py"], "error: no resource named 'unknown.py'"),
    (["resource", "cat", "nope"], "error: no resource named 'nope'"),
    (["resource", "cat", "nope@2"], "error: no resource named 'nope'"),
    (["resource", "versions", "unknown.py"], "error: no resource named 'unknown.py'"),
    (["resource", "add", "missing.sh"], "error: cannot read missing.sh: No such file"),
    (["resource", "add", "x.sh", "--name", "../x.sh"],
     "error: resource name '../x.sh' must be a plain file name"),
    (["resource", "add", "x.exe"], "error: resource 'x.exe' has an unsupported format; "
                                   "allowed formats: hql ipynb jar py sh sql tar tar.gz xml zip"),
    (["workflow", "validate", "broken.workflow.json"],
     "error: broken.workflow.json: not valid JSON: Expecting ',' delimiter at line 1"),
    (["workflow", "save", "broken.workflow.json"], "error: broken.workflow.json: not valid JSON"),
    (["workflow", "validate", "missing.workflow.json"],
     "error: cannot read missing.workflow.json: No such file or directory"),
    (["workflow", "save", "latin1.workflow.json"],
     "error: latin1.workflow.json is not UTF-8 text"),
    (["resource", "add", "folder.sh"], "error: cannot read folder.sh: Is a directory"),
    (["workflow", "show", "ghost"], "error: no workflow named 'ghost'"),
])
def test_an_error_is_one_line_on_stderr_and_exit_2(cli: Cli, write: Write, workdir: Path,
                                                   args: list[str], expected: str) -> None:
    write("x.sh", "echo x\n")
    write("x.exe", b"MZ")
    write("broken.workflow.json", '{"name": "x" "tasks": []}')
    write("latin1.workflow.json", '{"name": "caf\u00e9"}'.encode("latin-1"))
    (workdir / "folder.sh").mkdir()

    assert_one_error_line(cli(*args), expected)


def commands(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """The parsers of every command (``jupyter batch workflow show``, ``... logs``)."""
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        yield parser
    for action in subparsers:
        for sub in action.choices.values():
            yield from commands(sub)


def required(parser: argparse.ArgumentParser) -> list[str]:
    """A value for each argument the command requires."""
    words = []
    for action in parser._actions:
        if not action.option_strings:
            words.append("1")
        elif action.required:
            words += [action.option_strings[0], "1"]
    return words


#: every command, with what it requires
COMMANDS = [(p.prog.split()[2:], required(p)) for p in commands(build_parser())]


@pytest.mark.parametrize(("command", "values"), COMMANDS, ids=[" ".join(c) for c, _ in COMMANDS])
def test_an_unknown_option_is_refused_by_name_of_the_command_it_was_given_to(
        cli: Cli, command: list[str], values: list[str]) -> None:
    name = " ".join(["jupyter batch", *command])

    assert_one_error_line(cli(*command, *values, "--no-such-option"),
                          f"error: {name}: unrecognized arguments: --no-such-option "
                          f"(see {name} --help)")


def test_a_corrupted_blob_is_refused_by_cat(cli: Cli, service: BatchService,
                                            data_dir: Path) -> None:
    version = service.add_resource("hi.py", b"print('hi')\n").version
    (data_dir / "blobs" / version.sha256[:2] / version.sha256).write_bytes(b"print('HI')\n")

    assert_one_error_line(cli("resource", "cat", "hi.py"),
                          "error: resource hi.py@1: stored content does not match its sha256")


def test_a_jar_cannot_be_diffed(cli: Cli, service: BatchService) -> None:
    service.add_resource("tool.jar", b"PK one")
    service.add_resource("tool.jar", b"PK two")

    assert_one_error_line(cli("resource", "diff", "tool.jar", "1", "2"),
                          "error: 'tool.jar' is a jar resource; only text formats")


# --- workflow ----------------------------------------------------------------------------------


def test_validate_prints_each_problem_on_its_own_line(cli: Cli, write: Write,
                                                      service: BatchService) -> None:
    doc = workflow_doc("bad", tasks=[
        {"id": "a", "type": "shell"},
        {"id": "b", "type": "python", "resource": "clean.py@3", "retries": "two"},
    ], relations=[("a", "b"), ("b", "a")], schedule={"cron": "0 25 * * *"})
    write("bad.workflow.json", doc)
    _, problems = service.validate(doc)

    result = cli("workflow", "validate", "bad.workflow.json")

    assert result.code == BAD_INPUT
    assert result.out == ""
    assert len(problems) == 5
    assert result.err_lines == [f"bad.workflow.json: {p}" for p in problems]
    assert ("bad.workflow.json: schedule.cron: invalid cron expression '0 25 * * *': "
            "hour field '25' is not valid") in result.err_lines
    assert "bad.workflow.json: relations: relations form a cycle: a -> b -> a" in result.err_lines


def test_a_reference_is_checked_against_the_store_so_run_never_waits_in_vain(
        cli: Cli, write: Write, service: BatchService) -> None:
    """The reviewer's case: ``zz`` is no task of daily_sales, so nothing could satisfy
    the reference and ``run`` used to wait for ever."""
    service.save_workflow(workflow_doc("daily_sales", tasks=[
        {"id": "extract", "type": "shell", "command": "true"},
        {"id": "clean", "type": "shell", "command": "true"}], relations=[("extract", "clean")]))
    service.publish("daily_sales")
    done = service.wait_run(service.trigger("daily_sales", "2026-11-21"), timeout=60)
    assert done.state.value == "success"
    ref4 = {"name": "ref4", "references": [{"id": "n", "workflow": "daily_sales", "task": "zz"}],
            "tasks": [{"id": "a", "type": "shell", "command": "echo hi"}],
            "relations": [{"from": "n", "to": "a"}]}
    write("ref4.workflow.json", ref4)
    problem = ("ref4.workflow.json: references[0].task: version 1 of workflow 'daily_sales' "
               "has no task 'zz' (its tasks: extract, clean)")

    assert_one_error_line(cli("workflow", "validate", "ref4.workflow.json"), problem)
    assert_one_error_line(cli("run", "ref4.workflow.json", "--date", "2026-11-21"), problem)

    ref4["references"][0]["task"] = "clean"
    write("ref4.workflow.json", ref4)
    assert cli("run", "ref4.workflow.json", "--date", "2026-11-21").code == 0


def test_validate_json_lists_the_problems(cli: Cli, write: Write) -> None:
    write("bad.workflow.json", workflow_doc("bad", tasks=[{"id": "a", "type": "bash"}]))

    result = cli("workflow", "validate", "bad.workflow.json", "--json")

    assert result.code == BAD_INPUT
    report = json.loads(result.out)
    assert report["valid"] is False and report["name"] == "bad"
    assert [p["where"] for p in report["problems"]] == ["tasks[0].type"]


def test_save_of_an_invalid_file_prints_each_problem_and_stores_nothing(
        cli: Cli, write: Write) -> None:
    write("bad.workflow.json", workflow_doc("bad", tasks=[{"id": "a", "type": "shell"},
                                                         {"id": "a", "type": "sync"}]))

    result = cli("workflow", "save", "bad.workflow.json")

    assert result.code == BAD_INPUT
    assert result.err_lines == [
        "bad.workflow.json: tasks[0]: a shell task needs 'resource' or 'command'",
        "bad.workflow.json: tasks[1].source: is required for a sync task",
        "bad.workflow.json: tasks[1].target: is required for a sync task",
        "bad.workflow.json: tasks[1].id: duplicate id 'a' (also tasks[0].id)",
    ]
    assert cli("workflow", "list", "--json").json() == []


def test_workflow_validate_save_list_show_publish_offline_export(
        cli: Cli, write: Write, service: BatchService, workdir: Path) -> None:
    service.add_resource("extract.sh", b"echo extract\n")
    service.add_resource("clean.py", b"print('clean')\n")
    path = write("pipe.workflow.json", pipeline())

    valid = cli("workflow", "validate", "pipe.workflow.json")
    assert (valid.code, valid.err) == (0, "")
    assert valid.out == ("pipe.workflow.json: workflow 'pipe' is valid "
                         "(2 tasks, 0 references)\n")

    saved = cli("workflow", "save", "pipe.workflow.json", "--json").json()
    assert (saved["name"], saved["state"], saved["latest_version"]) == ("pipe", "draft", None)
    assert saved["draft"] == pipeline()

    listed = cli("workflow", "list")
    assert listed.out.splitlines()[0].split() == ["NAME", "STATE", "VERSION", "SCHEDULE",
                                                  "NEXT", "UPDATED"]
    assert "cron '0 2 * * *' (UTC)" in listed.out.splitlines()[1]

    published = cli("workflow", "publish", "pipe", "-m", "first", "--json").json()
    assert (published["version"], published["created"]) == (1, True)
    assert [t["resource"] for t in published["definition"]["tasks"]] == [
        "extract.sh@1", "clean.py@1"]
    again = cli("workflow", "publish", "pipe")
    assert again.code == 0
    assert "the draft equals version 1; published it again, no new version" in again.out

    shown = cli("workflow", "show", "pipe", "--json").json()
    assert (shown["state"], shown["latest_version"], shown["draft_changed"]) == (
        "published", 1, False)
    assert [(v["version"], v["author"], v["message"]) for v in shown["versions"]] == [
        (1, AUTHOR, "first")]
    human = cli("workflow", "show", "pipe").out
    assert human.startswith("pipe: published, latest version 1\n")
    assert "  task clean (python) clean.py\n" in human
    assert "  extract -> clean\n" in human
    version = cli("workflow", "show", "pipe", "--version", "1", "--json").json()
    assert version["definition"]["tasks"][1]["resource"] == "clean.py@1"

    offline = cli("workflow", "offline", "pipe", "--json").json()
    assert offline["state"] == "offline"
    assert [w["state"] for w in cli("workflow", "list", "--json").json()] == ["offline"]

    exported = cli("workflow", "export", "pipe")
    assert exported.out == path.read_text() == canonical(pipeline())
    assert cli("workflow", "export", "pipe", "-o", "out.workflow.json").code == 0
    assert (workdir / "out.workflow.json").read_text() == path.read_text()
    pinned = json.loads(cli("workflow", "export", "pipe", "--version", "1").out)
    assert pinned == published["definition"]


def next_half_past_nine_in_kolkata() -> str:
    zone = ZoneInfo("Asia/Kolkata")  # no daylight saving: a day is always 24 hours
    now = datetime.now(zone)
    today = now.replace(hour=9, minute=30, second=0, microsecond=0)
    return (today if now < today else today + timedelta(days=1)).isoformat()


def test_list_and_show_tell_the_next_fire_in_the_schedules_own_time_zone(
        cli: Cli, service: BatchService) -> None:
    kolkata = {"cron": "30 9 * * *", "timezone": "Asia/Kolkata"}
    service.save_workflow(workflow_doc("daily", schedule=kolkata))
    service.publish("daily")
    service.save_workflow(workflow_doc("manual"))
    service.publish("manual")
    service.save_workflow(workflow_doc("drafted", schedule=kolkata))
    before = next_half_past_nine_in_kolkata()

    listed = cli("workflow", "list")
    rows = {line.split()[0]: line for line in listed.out.splitlines()[1:]}
    as_json = {w["name"]: w for w in cli("workflow", "list", "--json").json()}
    shown = cli("workflow", "show", "daily")
    shown_json = cli("workflow", "show", "daily", "--json").json()
    after = next_half_past_nine_in_kolkata()

    header = listed.out.splitlines()[0]
    assert header.split() == ["NAME", "STATE", "VERSION", "SCHEDULE", "NEXT", "UPDATED"]
    column = header.index("NEXT")
    nexts = {name: row[column:].split("  ")[0] for name, row in rows.items()}
    fire = {before, after}
    assert nexts["daily"] in {f"{at[:10]} 09:30 (Asia/Kolkata)" for at in fire}
    assert nexts["manual"] == nexts["drafted"] == "-"
    assert datetime.fromisoformat(as_json["daily"]["next_run_at"]) in {
        datetime.fromisoformat(at) for at in fire}  # the same instant, as REST tells it
    assert as_json["manual"]["next_run_at"] is as_json["drafted"]["next_run_at"] is None
    assert f"  next run: {nexts['daily']}\n" in shown.out
    assert shown_json["next_run_at"] == as_json["daily"]["next_run_at"]
    assert [v["version"] for v in shown_json["versions"]] == [1]

    # a draft in another zone is not what fires: the published schedule is
    service.save_workflow(workflow_doc("daily", schedule={**kolkata,
                                                          "timezone": "Europe/Berlin"}))
    (row,) = [line for line in cli("workflow", "list").out.splitlines()
              if line.startswith("daily ")]
    assert "(Europe/Berlin)" in row and nexts["daily"] in row


def test_offline_of_a_draft_is_a_conflict(cli: Cli, service: BatchService) -> None:
    service.save_workflow(workflow_doc("pipe"))

    assert_one_error_line(cli("workflow", "offline", "pipe"),
                          "error: workflow 'pipe' is draft; only a published workflow can be "
                          "taken offline")


def test_an_exported_file_saves_back_to_the_same_draft(cli: Cli, service: BatchService,
                                                       workdir: Path) -> None:
    service.save_workflow(workflow_doc("pipe", description="round trip"))

    assert cli("workflow", "export", "pipe", "-o", "pipe.workflow.json").code == 0
    service.save_workflow(workflow_doc("pipe", description="changed meanwhile"))
    assert cli("workflow", "save", "pipe.workflow.json").code == 0

    assert service.export_workflow("pipe").to_json() == (
        workdir / "pipe.workflow.json").read_text()


# --- input that is not quite right -------------------------------------------------------------

NAN_WORKFLOW = ('{"name": "nanwf", "tasks": [{"id": "a", "type": "shell", "command": "echo hi", '
                '"timeout": %s}]}')


@pytest.mark.parametrize(("number", "shown"), [("NaN", "NaN"), ("1e400", "Infinity"),
                                               ("-Infinity", "-Infinity")])
@pytest.mark.parametrize("verb", ["validate", "save"])
def test_a_workflow_file_with_a_number_json_cannot_hold_is_refused(
        cli: Cli, write: Write, verb: str, number: str, shown: str) -> None:
    write("nan.workflow.json", NAN_WORKFLOW % number)

    result = cli("workflow", verb, "nan.workflow.json")

    assert (result.code, result.out) == (BAD_INPUT, "")
    assert result.err_lines == [
        f"nan.workflow.json: tasks[0].timeout: must be a finite number, not {shown}"]
    assert cli("workflow", "list", "--json").json() == []


HUGE = "99999999999999999999999"


@pytest.mark.parametrize("args", [
    ["runs", HUGE], ["logs", HUGE, "a"], ["logs", "1", "a", "--attempt", HUGE],
    ["output", HUGE, "a"], ["rerun", HUGE, "a"], ["recover", HUGE], ["stop", HUGE],
    ["workflow", "show", "pipe", "--version", HUGE],
    ["workflow", "export", "pipe", "--version", HUGE],
    ["runs", "--offset", HUGE],
])
def test_a_number_too_big_to_be_stored_is_bad_input(cli: Cli, service: BatchService,
                                                    args: list[str]) -> None:
    service.save_workflow(workflow_doc("pipe"))
    service.publish("pipe")

    assert_one_error_line(cli(*args), f"{HUGE} is out of range (at most {2**63 - 1})")


@pytest.mark.parametrize(("args", "path", "why"), [
    (["workflow", "export", "pipe", "-o"], "/nonexistent/dir/x.json", "No such file or directory"),
    (["output", "1", "a", "--html", "-o"], "/nonexistent/x.html", "No such file or directory"),
    (["workflow", "export", "pipe", "-o"], ".", "Is a directory"),
])
def test_a_file_that_cannot_be_written_is_bad_input(cli: Cli, service: BatchService,
                                                    data_dir: Path, args: list[str], path: str,
                                                    why: str) -> None:
    service.save_workflow(workflow_doc("pipe"))
    run_id = service.prerun("pipe", "2026-03-02")
    service.wait_run(run_id)
    # as if task a were a notebook task: its executed notebook where the engine puts it
    notebook = Path(RunFolders(data_dir / "runs" / str(run_id)).attempt("a", 1).notebook)
    notebook.parent.mkdir(parents=True, exist_ok=True)
    notebook.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')

    assert_one_error_line(cli(*args, path), f"error: cannot write {path}: {why}")


@pytest.mark.parametrize(("params", "expected"), [
    (["é=3"], "error: run parameter 'é': a parameter name may use letters, digits and _ and "
              "must not start with a digit"),
    (["a-b=1"], "error: run parameter 'a-b': a parameter name may use letters"),
    (["top=1", "TOP=2"], "error: run parameters 'top' and 'TOP' both become the environment "
                         "variable BATCH_PARAM_TOP; give one of them"),
])
def test_a_run_parameter_breaking_the_rules_of_workflow_params_is_bad_input(
        cli: Cli, write: Write, params: list[str], expected: str) -> None:
    path = write("ok.workflow.json", workflow_doc("ok", tasks=[shell("a", "echo hi")]))

    result = cli("run", path, *[arg for pair in params for arg in ("--param", pair)])

    assert_one_error_line(result, expected)
    assert cli("runs", "--json").json()["total"] == 0


@pytest.mark.parametrize(("date", "expected"), [
    ("0001-01-01", "error: logical date 0001-01-01 is out of range: a run needs the days "
                   "before and after it, so it must be from 0001-01-02 to 9999-12-30"),
    ("9999-12-31", "error: logical date 9999-12-31 is out of range"),
    ("20260101", "error: logical date '20260101' must be written YYYY-MM-DD, like 2026-11-22"),
])
def test_a_logical_date_out_of_range_or_written_otherwise_is_bad_input(
        cli: Cli, write: Write, date: str, expected: str) -> None:
    path = write("ok.workflow.json", workflow_doc("ok", tasks=[shell("a", "echo hi")]))

    assert_one_error_line(cli("run", path, "--date", date), expected)
    assert cli("runs", "--json").json()["total"] == 0


def test_a_run_parameter_given_as_text_keeps_its_type(cli: Cli, write: Write,
                                                      workdir: Path) -> None:
    """`--param top=20` reaches a notebook as the number 20, as its default 10 is; a
    quoted value stays text; run parameters are stored as they were read."""
    (workdir / "report.ipynb").write_bytes(notebook_bytes(
        "print(repr(top), repr(label), repr(share), repr(code))",
        parameters="top = 10\nlabel = 'x'\nshare = 0.5\ncode = ''"))
    assert cli("resource", "add", "report.ipynb").code == 0
    path = write("typed.workflow.json", workflow_doc(
        "typed", tasks=[{"id": "report", "type": "notebook", "resource": "report.ipynb"}]))

    result = cli("run", path, "--param", "top=20", "--param", 'label="20"', "--param",
                 "share=0.25", "--param", "code=007", "--json")

    assert result.code == 0, result.err
    run = result.json()
    assert run["params"] == {"top": 20, "label": "20", "share": 0.25, "code": "007"}
    executed = cli("output", str(run["id"]), "report", "-o", workdir / "out.ipynb")
    assert executed.code == 0, executed.err
    assert "20 '20' 0.25 '007'" in (workdir / "out.ipynb").read_text()

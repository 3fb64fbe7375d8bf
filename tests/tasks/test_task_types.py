"""Task types as a user meets them: shell, python and app tasks; parameters and built-in
variables as environment and argv (never spliced into a shell string); resources
materialised into the working directory, archives unpacked and unsafe ones refused; jars
run with ``java -jar``. Every test runs twice: locally, and on a Dask worker (the working
directory shipped there as bytes)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from jupyter_batch.errors import InvalidInput, InvalidWorkflow
from jupyter_batch.model.states import RunState, TaskState
from tests import engine_fixtures
from tests.engine_fixtures import Runs, app, flow, python, shell

runs = engine_fixtures.runs_on_each_executor

S = TaskState


def json_line(log: str, tag: str) -> Any:
    """The JSON a task printed after ``tag``."""
    for line in log.splitlines():
        if line.startswith(tag):
            return json.loads(line[len(tag):])
    raise AssertionError(f"no line starting with {tag!r} in the log:\n{log}")


def tar_gz(members: dict[str, bytes | str], modes: dict[str, int] | None = None,
           symlinks: dict[str, str] | None = None) -> bytes:
    """A tar.gz holding ``members`` (name -> content), with optional file modes and
    symlinks (name -> target)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, content in members.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = (modes or {}).get(name, 0o644)
            tf.addfile(info, io.BytesIO(data))
        for name, target in (symlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tf.addfile(info)
    return buf.getvalue()


def zip_bytes(members: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buf.getvalue()


# --- parameters never become code -----------------------------------------------------------

HOSTILE = {
    "x": "$(touch pwned)",       # a workflow param
    "y": "; touch pwned2",       # a run param
    "z": "`touch pwned3`",       # a task param
    "w": "${ds} $$ ${nope}",     # placeholders inside a value are not expanded again
}


def test_hostile_parameter_values_reach_tasks_as_plain_data(runs: Runs) -> None:
    print_argv_env = ("import json, os, sys\n"
                      "print('ARGV=' + json.dumps(sys.argv[1:]))\n"
                      "print('ENV=' + json.dumps({k: os.environ['BATCH_PARAM_' + k.upper()] "
                      "for k in 'xyzw'}))\n")
    task_params = {"params": {"z": HOSTILE["z"], "w": HOSTILE["w"]}}
    run = runs.run(flow("hostile", [
        shell("sh_quoted", 'echo "X=$BATCH_PARAM_X"; echo "Y=$BATCH_PARAM_Y"; '
                           'echo "Z=$BATCH_PARAM_Z"', **task_params),
        shell("sh_unquoted", "echo X=$BATCH_PARAM_X Y=$BATCH_PARAM_Y Z=$BATCH_PARAM_Z",
              **task_params),
        python("py", print_argv_env, args=["${x}", "${y}", "${z}", "${w}"], **task_params),
        app("app", ["echo", "${x}", "${y}", "${z}", "${w}"], **task_params),
    ], params={"x": HOSTILE["x"]}), params={"y": HOSTILE["y"]})

    assert run.state == RunState.SUCCESS, runs.states(run)
    quoted = runs.lines(run.id, "sh_quoted")
    for line in ("X=$(touch pwned)", "Y=; touch pwned2", "Z=`touch pwned3`"):
        assert line in quoted
    assert ("X=$(touch pwned) Y=; touch pwned2 Z=`touch pwned3`"
            in runs.lines(run.id, "sh_unquoted"))
    py_log = runs.log(run.id, "py")
    values = [HOSTILE[k] for k in "xyzw"]
    assert json_line(py_log, "ARGV=") == values
    assert json_line(py_log, "ENV=") == HOSTILE
    assert " ".join(values) in runs.lines(run.id, "app")

    planted = [p for where in (runs.data_dir, runs.scratch, Path.cwd())
               for p in where.rglob("pwned*")]
    assert planted == []


# --- built-in variables and parameters ------------------------------------------------------

PRINT_BATCH_ENV = ("import json, os, sys\n"
                   "print('ENV=' + json.dumps({k: v for k, v in os.environ.items() "
                   "if k.startswith('BATCH_') and k != 'BATCH_OUTPUT'}))\n"
                   "print('ARGV=' + json.dumps(sys.argv[1:]))\n")


def test_built_in_variables_and_parameter_precedence(runs: Runs) -> None:
    run = runs.run(flow("vars", [
        python("show", PRINT_BATCH_ENV,
               params={"level": "task", "n": 10, "flag": True, "only_task": "t"},
               args=["${ds}", "${ds-1}", "${ds_nodash+7}", "${prev_ds}", "${ds_nodash}",
                     "${run_id}", "${workflow}", "${task}", "${attempt}", "${level}",
                     "${n}", "cost: $$5"]),
    ], params={"level": "workflow", "only_wf": "w"}), day="2026-03-01",
        params={"level": "run"})

    assert run.state == RunState.SUCCESS
    log = runs.log(run.id, "show")
    env = json_line(log, "ENV=")
    expected = {
        "BATCH_DS": "2026-03-01", "BATCH_DS_NODASH": "20260301", "BATCH_PREV_DS": "2026-02-28",
        "BATCH_RUN_ID": str(run.id), "BATCH_WORKFLOW": "vars", "BATCH_TASK": "show",
        "BATCH_ATTEMPT": "1",
        # precedence: workflow params < task params < run params
        "BATCH_PARAM_LEVEL": "run", "BATCH_PARAM_ONLY_WF": "w", "BATCH_PARAM_ONLY_TASK": "t",
        "BATCH_PARAM_N": "10", "BATCH_PARAM_FLAG": "true",
    }
    assert {k: env.get(k) for k in expected} == expected
    assert json_line(log, "ARGV=") == [
        "2026-03-01", "2026-02-28", "20260308", "2026-02-28", "20260301", str(run.id), "vars",
        "show", "1", "run", "10", "cost: $5"]


def test_task_params_beat_workflow_params(runs: Runs) -> None:
    run = runs.run(flow("prec", [
        shell("t", 'echo "level=$BATCH_PARAM_LEVEL"', params={"level": "task"}),
        shell("u", 'echo "level=$BATCH_PARAM_LEVEL"'),
    ], params={"level": "workflow"}))

    assert "level=task" in runs.lines(run.id, "t")
    assert "level=workflow" in runs.lines(run.id, "u")


def test_the_attempt_variable_counts_retries(runs: Runs) -> None:
    run = runs.run(flow("att", [
        shell("r", 'echo "attempt=$BATCH_ATTEMPT"; test "$BATCH_ATTEMPT" = 2', retries=1),
    ]))

    assert run.task("r").state == S.SUCCESS
    assert "attempt=1" in runs.lines(run.id, "r", attempt=1)
    assert "attempt=2" in runs.lines(run.id, "r", attempt=2)


def test_a_param_named_like_a_built_in_is_refused(runs: Runs) -> None:
    doc = flow("shadow", [python("p", "print(1)", args=["${ds}"])], params={"ds": "today"})
    with pytest.raises(InvalidWorkflow) as caught:
        runs.service.prerun(doc)
    assert [p.where for p in caught.value.problems] == ["params.ds"]

    with pytest.raises(InvalidInput, match="built-in"):
        runs.service.prerun(flow("shadow", [shell("a", "true")]), params={"run_id": "7"})


def test_an_unknown_placeholder_fails_the_task_naming_it(runs: Runs) -> None:
    run = runs.run(flow("unknown", [
        python("p", "print('never')", args=["${no_such_value}"]),
        shell("after", "true"),
    ], [("p", "after")]))

    p = run.task("p")
    assert p.state == S.FAILED
    assert "no_such_value" in (p.message or "")
    assert "never" not in runs.lines(run.id, "p")
    assert run.task("after").state == S.UPSTREAM_FAILED


# --- resources, files and archives ----------------------------------------------------------

def test_shell_and_python_resources_run_with_their_arguments(runs: Runs) -> None:
    runs.service.add_resource("hello.sh", b'echo "sh says $BATCH_DS"\n')
    runs.service.add_resource("hello.py", b"import sys\nprint('py says', sys.argv[1:])\n")
    run = runs.run(flow("res", [
        {"id": "s", "type": "shell", "resource": "hello.sh"},
        {"id": "p", "type": "python", "resource": "hello.py", "args": ["${ds}", "two"]},
        {"id": "a", "type": "app", "resource": "hello.py", "args": ["via-app"]},
    ]))

    assert run.state == RunState.SUCCESS
    assert "sh says 2026-11-20" in runs.lines(run.id, "s")
    assert "py says ['2026-11-20', 'two']" in runs.lines(run.id, "p")
    assert "py says ['via-app']" in runs.lines(run.id, "a")


def test_a_python_task_can_name_its_interpreter(runs: Runs) -> None:
    other = shutil.which("python3", path="/usr/bin:/bin")
    if other is None or Path(other).resolve() == Path(sys.executable).resolve():
        pytest.skip("no second Python interpreter on this machine")
    run = runs.run(flow("interp", [
        python("p", "import sys; print('ran by', sys.executable)", interpreter=other),
    ]))

    assert run.task("p").state == S.SUCCESS
    assert f"ran by {other}" in runs.lines(run.id, "p")


def test_an_app_resource_archive_is_unpacked_and_its_program_run(runs: Runs) -> None:
    tool = '#!/bin/sh\necho "tool got $1 on $BATCH_DS"\n'
    runs.service.add_resource("tool.tar.gz", tar_gz({"tool.sh": tool}, modes={"tool.sh": 0o755}))
    run = runs.run(flow("archive", [
        {"id": "t", "type": "app", "resource": "tool.tar.gz", "args": ["./tool.sh", "x"]},
    ]))

    assert run.task("t").state == S.SUCCESS, runs.log(run.id, "t")
    assert "tool got x on 2026-11-20" in runs.lines(run.id, "t")


def test_a_zip_in_files_is_unpacked_beside_the_main_resource(runs: Runs) -> None:
    runs.service.add_resource("main.sh", b"cat conf/settings.txt; cat notes.xml\n")
    runs.service.add_resource("conf.zip", zip_bytes({"conf/settings.txt": "from the zip\n"}))
    runs.service.add_resource("notes.xml", b"<notes>beside</notes>\n")
    run = runs.run(flow("files", [
        {"id": "m", "type": "shell", "resource": "main.sh", "files": ["conf.zip", "notes.xml"]},
    ]))

    assert run.task("m").state == S.SUCCESS, runs.log(run.id, "m")
    log = runs.log(run.id, "m")
    assert "from the zip" in log and "<notes>beside</notes>" in log


def test_resource_versions_are_pinned_when_the_run_is_made(runs: Runs) -> None:
    runs.service.add_resource("say.sh", b"echo version one\n")
    runs.service.add_resource("say.sh", b"echo version two\n")
    run = runs.run(flow("pins", [
        {"id": "latest", "type": "shell", "resource": "say.sh"},
        {"id": "first", "type": "shell", "resource": "say.sh@1"},
    ]))

    assert "version two" in runs.lines(run.id, "latest")
    assert "version one" in runs.lines(run.id, "first")


@pytest.mark.parametrize(("name", "content"), [
    ("evil.tar.gz", tar_gz({"../evil": "escaped\n"})),
    ("deep.tar.gz", tar_gz({"ok/../../evil": "escaped\n"})),
    ("abs.tar.gz", tar_gz({"/tmp/jupyter-batch-test-evil": "escaped\n"})),
    ("link.tar.gz", tar_gz({}, symlinks={"evil": "../../../.."})),
    ("evil.zip", zip_bytes({"../evil": "escaped\n"})),
])
def test_an_archive_reaching_outside_the_working_directory_is_refused(
        runs: Runs, name: str, content: bytes) -> None:
    with pytest.raises(InvalidInput, match=f"archive {name} holds an unsafe path"):
        runs.service.add_resource(name, content)
    assert name not in {r.name for r in runs.service.list_resources()}, "nothing stored"

    # one stored before archives were checked on the way in is refused when it runs
    runs.service.store.resources.add(name, content, "", "someone")
    run = runs.run(flow("unsafe", [
        shell("u", "echo ran", files=[name]),
        shell("after", "true"),
    ], [("u", "after")]))

    u = run.task("u")
    assert u.state == S.FAILED
    assert name in (u.message or "") and "unsafe" in (u.message or "")
    assert "\nran\n" not in runs.log(run.id, "u")
    assert run.task("after").state == S.UPSTREAM_FAILED
    written = [p for p in runs.data_dir.parent.rglob("evil*")
               if p.name != name and not p.is_relative_to(runs.data_dir / "blobs")]
    assert written == []
    assert not Path("/tmp/jupyter-batch-test-evil").exists()


@pytest.mark.parametrize(("name", "content", "why"), [
    ("data.zip", b"not a zip", "data.zip is not a readable zip archive: File is not a zip file"),
    ("data.tar.gz", b"not gzip", "data.tar.gz is not a readable tar.gz archive"),
    ("data.tar", b"x" * 600, "data.tar is not a readable tar archive"),
    ("report.ipynb", b'{"cells": 3}', "report.ipynb is not a Jupyter notebook"),
    ("report.ipynb", b"\xff\xfe", "report.ipynb is not a Jupyter notebook"),
])
def test_a_resource_that_is_not_what_its_name_says_is_refused_when_added(
        runs: Runs, name: str, content: bytes, why: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        runs.service.add_resource(name, content)

    assert str(refused.value).startswith(why)
    assert name not in {r.name for r in runs.service.list_resources()}


def test_a_damaged_archive_stored_earlier_fails_its_task_saying_so(runs: Runs) -> None:
    runs.service.store.resources.add("data.zip", b"not a zip", "", "someone")

    run = runs.run(flow("damaged", [shell("u", "echo ran", files=["data.zip"])]))

    assert run.task("u").state == S.FAILED
    assert run.task("u").message == (
        "data.zip is not a readable zip archive: File is not a zip file")


# --- jars -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hello_jar(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A jar whose main class prints ``hello`` and its arguments (built with the JDK)."""
    javac, jar = shutil.which("javac"), shutil.which("jar")
    if not (javac and jar and shutil.which("java")):
        pytest.skip("needs a JDK (java, javac, jar) on PATH")
    folder = tmp_path_factory.mktemp("jar")
    (folder / "Hello.java").write_text(
        "public class Hello { public static void main(String[] a) {"
        ' System.out.println("hello " + String.join(",", a)); } }\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("JAVA_TOOL")}
    subprocess.run([javac, "Hello.java"], cwd=folder, check=True, env=env, timeout=120)
    subprocess.run([jar, "cfe", "hello.jar", "Hello", "Hello.class"], cwd=folder, check=True,
                   env=env, timeout=120)
    return (folder / "hello.jar").read_bytes()


def test_a_jar_resource_runs_with_java_jar(runs: Runs, hello_jar: bytes) -> None:
    runs.service.add_resource("hello.jar", hello_jar)
    run = runs.run(flow("java", [
        {"id": "j", "type": "app", "resource": "hello.jar", "args": ["${ds}", "$(touch pwned)"]},
    ]))

    assert run.task("j").state == S.SUCCESS, runs.log(run.id, "j")
    assert "hello 2026-11-20,$(touch pwned)" in runs.lines(run.id, "j")


def test_a_jar_runs_under_a_one_gigabyte_memory_cap(runs: Runs, hello_jar: bytes) -> None:
    runs.service.add_resource("hello.jar", hello_jar)
    run = runs.run(flow("javamem", [
        {"id": "j", "type": "app", "resource": "hello.jar", "args": ["capped"],
         "memory_mb": 1024},
    ]))

    assert run.task("j").state == S.SUCCESS, runs.log(run.id, "j")

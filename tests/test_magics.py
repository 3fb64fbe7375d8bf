"""The script-development magics in a real IPython shell (no kernel needed), against a
local service: ``Batch()`` finds no server in an empty runtime folder and runs one over
``$JUPYTER_BATCH_DIR``."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from jupyter_batch.magics import BatchMagics, debug_names
from tests.helpers import AUTHOR


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    """The IPython shell with ``%load_ext jupyter_batch``; the magics' client is made
    afresh (``Batch()``) for each test, over ``tmp_path/batch``."""
    monkeypatch.setenv("JUPYTER_BATCH_DIR", str(tmp_path / "batch"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("JUPYTER_BATCH_AUTHOR", AUTHOR)
    ip = InteractiveShell.instance()
    if "jupyter_batch" not in ip.extension_manager.loaded:  # the shell is a singleton
        ip.run_line_magic("load_ext", "jupyter_batch")
    magics = magics_of(ip)
    magics.batch = None
    yield ip
    if magics._batch is not None:
        magics.batch.close()
    magics.batch = None


def magics_of(ip: InteractiveShell) -> BatchMagics:
    magics = ip.magics_manager.registry["BatchMagics"]
    assert isinstance(magics, BatchMagics)
    return magics


def cell(ip: InteractiveShell, text: str) -> Any:
    """Run a cell; return its result (``error_in_exec`` is what it raised)."""
    return ip.run_cell(text, store_history=False)


def test_a_cell_is_saved_as_a_new_version_unless_nothing_changed(
        shell: InteractiveShell, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cell(shell, '%%batch_resource clean.py -m "first draft"\nprint(1)')
    cell(shell, '%%batch_resource clean.py -m "same again"\nprint(1)')
    cell(shell, "%%batch_resource clean.py -m second\nprint(2)\n")
    assert capsys.readouterr().out.splitlines() == [
        "added clean.py@1 (9 bytes)",
        "unchanged: clean.py is identical to version 1; no new version",
        "added clean.py@2 (9 bytes)"]

    batch = magics_of(shell).batch
    assert batch.local and batch.where == str(tmp_path / "batch")
    assert batch.read("clean.py@1") == b"print(1)\n"

    cell(shell, "%batch_versions clean.py")
    header, first, second = capsys.readouterr().out.splitlines()
    assert header.split() == ["VERSION", "SIZE", "AUTHOR", "CREATED", "MESSAGE"]
    assert first.split()[:3] == ["1", "9", AUTHOR] and first.endswith("  first draft")
    assert second.split()[:3] == ["2", "9", AUTHOR] and second.endswith("  second")

    cell(shell, "%batch_diff clean.py 1 2")
    assert capsys.readouterr().out.splitlines() == [
        "--- clean.py@1", "+++ clean.py@2", "@@ -1 +1 @@", "-print(1)", "+print(2)"]


class Screen(io.StringIO):
    """The cell's output; touches ``go`` when it shows ``line`` — the task waits for it,
    so it can only end if its log reached the cell while it ran."""

    def __init__(self, line: str, go: Path) -> None:
        super().__init__()
        self.line, self.go = line, go

    def write(self, text: str) -> int:
        if self.line in text:
            self.go.touch()
        return super().write(text)


WAITING = """\
import os, pathlib, sys, time
print("waiting to be seen", flush=True)
go = pathlib.Path(os.environ["BATCH_PARAM_GO"])
for _ in range(400):
    if go.exists():
        break
    time.sleep(0.05)
else:
    sys.exit("the log did not reach the cell while the task ran")
print("seen by", os.environ["BATCH_PARAM_WHO"], "on", os.environ["BATCH_DS"])
"""


def test_batch_run_streams_the_log_into_the_cell_and_ends_with_the_state(
        shell: InteractiveShell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cell(shell, "%%batch_resource hello.py\n" + WAITING)
    screen = Screen("waiting to be seen", tmp_path / "go")
    monkeypatch.setattr(sys, "stdout", screen)

    result = cell(shell, f"%batch_run hello.py --param go={tmp_path / 'go'} -p who=me "
                         "--date 2026-05-01")

    assert result.error_in_exec is None
    lines = screen.getvalue().splitlines()
    assert lines[:2] == ["run 1 of hello.py (debug_hello_py)",
                          "# jupyter-batch: run 1, task hello, attempt 1"]
    assert "waiting to be seen" in lines and "seen by me on 2026-05-01" in lines
    assert lines[-1].startswith("run 1 success in ")
    debug = magics_of(shell).batch.get_workflow("debug_hello_py")
    assert debug.to_dict()["tasks"] == [{"id": "hello", "type": "python",
                                         "resource": "hello.py"}]


def test_batch_run_of_a_failing_shell_script_ends_failed(
        shell: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    cell(shell, "%%batch_resource fail.sh\necho oops >&2\nexit 4")
    cell(shell, "%batch_run fail.sh@1")
    out = capsys.readouterr().out.splitlines()
    assert "oops" in out
    assert out[-1].startswith("run 1 failed")
    run = magics_of(shell).batch.runs()[0]
    assert run.refresh().tasks == {"fail": "failed"} and run.task("fail").exit_code == 4


@pytest.mark.parametrize(("line", "message"), [
    ("%%batch_resource bad/name.py\nx = 1",
     "resource name 'bad/name.py' must be a plain file name, without '/' or '\\'"),
    ("%%batch_resource notes.txt\nx = 1", "resource 'notes.txt' has an unsupported format"),
    ("%batch_run missing.py", "resource 'missing.py' does not exist"),
    ("%batch_run lib.jar", "lib.jar is a jar resource; a debug run takes hql, ipynb, py, sh, "
                           "sql"),
    ("%batch_run x.py --param nonsense", "--param 'nonsense' must look like name=value"),
    ("%batch_run", "the following arguments are required: RESOURCE[@V]"),
    ("%batch_versions nope.py", "no resource named 'nope.py'"),
    ("%batch_diff clean.py 1 x", "argument new: invalid int value: 'x'"),
])
def test_bad_input_ends_the_cell_with_one_clear_line(
        shell: InteractiveShell, capsys: pytest.CaptureFixture[str], line: str,
        message: str) -> None:
    result = cell(shell, line)

    assert isinstance(result.error_in_exec, UsageError)
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"UsageError: {message}"), err
    assert len(err.splitlines()) == 1
    assert [r for r in magics_of(shell).batch.resources() if r.namespace == "user"] == []


def test_debug_names_are_valid_workflow_and_task_ids() -> None:
    assert debug_names("clean.py") == ("debug_clean_py", "clean")
    assert debug_names("data.tar.gz") == ("debug_data_tar_gz", "data")
    assert debug_names("2024-report.ipynb") == ("debug_2024_report_ipynb", "_2024_report")

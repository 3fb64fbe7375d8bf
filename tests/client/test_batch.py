"""``Batch``'s own rules, on a local service over a tmp data folder and real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_batch import Batch
from jupyter_batch.errors import InvalidInput


def test_add_resource_reads_a_file_it_is_named_and_refuses_a_missing_one(
        local: Batch, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A string that reads as a file name is never stored as the content: a missing
    file is an error saying so; text (a newline, or no file-like look) is content."""
    monkeypatch.chdir(workdir)
    (workdir / "clean.py").write_text("print('clean')\n", encoding="utf-8")
    (workdir / "jobs").mkdir()
    (workdir / "jobs" / "run").write_bytes(b"#!/bin/sh\necho run\n")

    assert local.add_resource("clean.py", "clean.py").version.size == 15
    assert local.read("clean.py") == b"print('clean')\n"
    assert local.add_resource("run.sh", "jobs/run").version.ref == "run.sh@1"
    assert local.add_resource("abs.py", str(workdir / "clean.py")).created
    assert local.read("abs.py") == b"print('clean')\n"

    refusals = {
        "report.py": ("report.py", "cannot read 'report.py': no such file (to store this "
                                   "text as the content, pass it as bytes: "
                                   "'report.py'.encode())"),
        "nested.sh": ("scripts/nested", "cannot read 'scripts/nested': no such file"),
        "upper.ipynb": ("Report.IPYNB", "cannot read 'Report.IPYNB': no such file"),
        "folder.sh": ("jobs/", "cannot read 'jobs/': is a directory"),
        "gone.py": (Path("gone.py"), "cannot read 'gone.py': no such file"),
    }
    for name, (given, message) in refusals.items():
        with pytest.raises(InvalidInput) as refused:
            local.add_resource(name, given)
        assert str(refused.value).startswith(message), (given, str(refused.value))
    stored = {r.name for r in local.resources() if r.namespace == "user"}
    assert stored == {"clean.py", "run.sh", "abs.py"}

    # content: text with a newline, a one-line command, one-line JSON, bytes
    notebook = json.dumps({"cells": [], "metadata": {"mime": "text/plain"}})
    for name, given, kept in [
            ("two.py", "clean.py\nprint(2)\n", b"clean.py\nprint(2)\n"),
            ("one.sh", "echo hi > /tmp/x", b"echo hi > /tmp/x"),
            ("print.py", "print(1)", b"print(1)"),
            ("nb.ipynb", notebook, notebook.encode()),
            ("named.py", b"report.py", b"report.py")]:
        local.add_resource(name, given)
        assert local.read(name) == kept, name

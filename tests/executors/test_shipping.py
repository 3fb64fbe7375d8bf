"""Moving an attempt to another machine: a folder packed and unpacked whole (modes and
symlinks kept), and a process description whose paths under the run folder — and only
those — point to the copy."""

from __future__ import annotations

import json
import os
from pathlib import Path

from jupyter_batch.executors.shipping import Relocation, collect, deliver, pack, unpack
from jupyter_batch.model.process import Limits, ProcessSpec

RUN = "/data/batch/runs/7"
HERE = "/worker/tmp/batch-attempt-x/run"
MOVE = Relocation(source=RUN, target=HERE, python="/srv/venv/bin/python",
                  local_python="/opt/worker/bin/python")


def test_only_paths_under_the_run_folder_are_rewritten() -> None:
    assert MOVE.text(RUN) == HERE
    assert MOVE.text(f"{RUN}/work/a.1/tool.sh") == f"{HERE}/work/a.1/tool.sh"
    assert MOVE.text(f"--out={RUN}/outputs/a.1.txt") == f"--out={HERE}/outputs/a.1.txt"
    assert MOVE.text("/data/batch/runs/70/work") == "/data/batch/runs/70/work"
    assert MOVE.text("/data/batch/warehouse.duckdb") == "/data/batch/warehouse.duckdb"
    job = json.dumps({"input": f"{RUN}/work/r.1/ré.ipynb"}, ensure_ascii=False)
    assert json.loads(MOVE.text(job)) == {"input": f"{HERE}/work/r.1/ré.ipynb"}


def test_a_spec_is_moved_whole() -> None:
    spec = ProcessSpec(
        argv=["/srv/venv/bin/python", f"{RUN}/work/a.1/main.py", "/srv/venv/bin/python"],
        cwd=Path(f"{RUN}/work/a.1"), log_path=Path(f"{RUN}/logs/a.1.log"),
        env={"BATCH_OUTPUT": f"{RUN}/outputs/a.1.txt", "BATCH_DS": "2026-11-20"},
        limits=Limits(timeout=5, memory_mb=100), log_header="# header\n", pool="etl",
        run_folder=Path(RUN), returns=(Path(f"{RUN}/outputs/a.1.txt"),))

    moved = MOVE.spec(spec, Path("/worker/tmp/log"))

    assert moved.argv == ["/opt/worker/bin/python", f"{HERE}/work/a.1/main.py",
                          "/srv/venv/bin/python"], "only the program itself is the interpreter"
    assert moved.cwd == Path(f"{HERE}/work/a.1")
    assert moved.env == {"BATCH_OUTPUT": f"{HERE}/outputs/a.1.txt", "BATCH_DS": "2026-11-20"}
    assert moved.returns == (Path(f"{HERE}/outputs/a.1.txt"),)
    assert (moved.log_path, moved.log_header) == (Path("/worker/tmp/log"), "")
    assert (moved.limits, moved.pool) == (spec.limits, "etl")


def test_a_folder_travels_with_its_modes_and_symlinks(tmp_path: Path) -> None:
    there = tmp_path / "engine"
    (there / "bin").mkdir(parents=True)
    (there / "bin" / "tool").write_text("#!/bin/sh\necho hi\n")
    (there / "bin" / "tool").chmod(0o755)
    (there / "data.csv").write_bytes(b"a,b\n1,2\n")
    (there / "link").symlink_to("bin/tool")

    here = tmp_path / "worker" / "work"
    unpack(pack(there), here)

    assert (here / "data.csv").read_bytes() == b"a,b\n1,2\n"
    assert os.access(here / "bin" / "tool", os.X_OK)
    assert os.readlink(here / "link") == "bin/tool"


def test_files_come_back_where_the_engine_reads_them(tmp_path: Path) -> None:
    (tmp_path / "worker").mkdir()
    (tmp_path / "worker" / "out.txt").write_text("rows=3\n")
    theirs = tmp_path / "engine" / "outputs" / "a.1.txt"
    missing = tmp_path / "engine" / "notebooks" / "a.1.ipynb"

    deliver(collect({theirs: tmp_path / "worker" / "out.txt",
                     missing: tmp_path / "worker" / "none.ipynb"}))

    assert theirs.read_text() == "rows=3\n"
    assert not missing.exists(), "a file the process never wrote stays unwritten"

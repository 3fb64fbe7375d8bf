"""The benchmarks stay runnable: each runs once on a small size (no timing is checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_the_dag_benchmark_runs_on_a_small_graph() -> None:
    proc = subprocess.run([sys.executable, str(BENCH / "dag.py"), "--nodes", "200",
                           "--repeat", "1"], capture_output=True, text=True, timeout=120)

    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("DAG: 200 nodes, ")
    assert [line.split()[0] for line in lines[1:4]] == ["validate", "layout", "baseline"]
    assert "x baseline" in lines[1] and "x baseline" in lines[2]
    assert lines[4].startswith("validate + layout ")


def test_the_failover_benchmark_runs_in_quick_mode() -> None:
    proc = subprocess.run([sys.executable, str(BENCH / "failover.py"), "--quick"],
                          capture_output=True, text=True, timeout=120)

    assert proc.returncode == 0, proc.stderr + proc.stdout
    lines = proc.stdout.splitlines()
    assert lines[0] == "failover: 2 schedulers, lease 1 s, SQLite"
    assert lines[1].startswith("takeover after SIGKILL ") and "x lease" in lines[1]
    assert lines[3].endswith(", each exactly once")


def test_the_engine_benchmark_runs_on_small_graphs_with_its_dask_columns() -> None:
    proc = subprocess.run([sys.executable, str(BENCH / "engine.py"), "--scale", "0.05",
                           "--repeat", "1"], capture_output=True, text=True, timeout=300)

    assert proc.returncode == 0, proc.stderr
    head, *rows = proc.stdout.splitlines()
    assert head.split() == ["DAG", "tasks", "raw", "s", "CPU",
                            "floor", "s", "ratio", "ms/task", "CPU",
                            "engine", "s", "ratio", "ms/task", "CPU",
                            "dask", "s", "ratio", "ms/task", "CPU"]
    assert [row.split()[0] for row in rows[:3]] == ["fan-out", "chain", "layered"]

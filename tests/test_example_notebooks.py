"""The example notebooks run top to bottom as a new user runs them: in a kernel that a
fresh, real ``jupyter server`` with the extension started, so ``Batch()`` inside finds
that server on its own. What each notebook made is then read back through the server's
REST API; then each runs a second time on the same server, as it does for a user who
opens it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.client.servers import Server, jupyter_servers
from tests.notebooks_support import execute_notebook

EXAMPLES = Path(__file__).resolve().parent.parent / "example_notebooks"
API = "batch/api/"


class Notebooks:
    """A fresh server, the notebooks to run on it, and its REST API to check them."""

    def __init__(self, server: Server, runtime_dir: Path) -> None:
        self.server = server
        self.runtime_dir = runtime_dir

    def run(self, name: str) -> Any:
        """Execute ``example_notebooks/<name>.ipynb``; a failing cell fails the test."""
        return execute_notebook(self.server, self.runtime_dir, EXAMPLES / f"{name}.ipynb")

    def get(self, path: str, **params: Any) -> Any:
        return self.server.call("GET", API + path, params=params).json()

    def runs(self, workflow: str) -> list[dict[str, Any]]:
        """The workflow's runs, oldest first, each with its tasks."""
        listed = self.get("runs", workflow=workflow, limit=100)["runs"]
        return [self.get(f"runs/{r['id']}") for r in reversed(listed)]

    def attempts(self, run: dict[str, Any], task: str) -> list[tuple[int, str]]:
        return [(a["attempt"], a["state"])
                for a in self.get(f"runs/{run['id']}/tasks/{task}/attempts")["attempts"]]

    def versions(self, resource: str) -> list[tuple[int, str]]:
        return [(v["version"], v["message"]) for v in self.get(f"resources/{resource}")["versions"]]


def tasks(run: dict[str, Any]) -> dict[str, str]:
    return {t["id"]: t["state"] for t in run["tasks"]}


@pytest.fixture
def notebooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Notebooks]:
    # the server's kernels inherit it: the folders the notebooks make end up in tmp_path
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    with jupyter_servers(tmp_path, 1) as (server,):
        yield Notebooks(server, tmp_path / "runtime")


def test_the_notebooks_are_stored_without_outputs() -> None:
    found = sorted(p.name for p in EXAMPLES.glob("*.ipynb"))
    assert found == ["01_quickstart.ipynb", "02_monitor_and_rerun.ipynb",
                     "03_data_sync_and_sql.ipynb", "04_script_development.ipynb"]
    for name in found:
        nb = nbformat.read(EXAMPLES / name, as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), name
        assert nb.cells[0].cell_type == "markdown", name


def test_quickstart_prerun_then_publish_on_a_schedule(notebooks: Notebooks) -> None:
    executed = notebooks.run("01_quickstart")

    wf = notebooks.get("workflows/quickstart")
    assert (wf["state"], wf["latest_version"], wf["draft_changed"]) == ("published", 1, False)
    assert wf["draft"]["schedule"] == {"cron": "0 6 * * *", "timezone": "Europe/Berlin"}
    assert [t["type"] for t in wf["draft"]["tasks"]] == ["shell", "python", "notebook"]
    # (a scheduled run may join it only if the test runs at six in Berlin)
    (prerun,) = [r for r in notebooks.runs("quickstart") if r["trigger"] == "prerun"]
    assert prerun["state"] == "success"
    assert tasks(prerun) == {"hello": "success", "count": "success", "report": "success"}
    assert prerun["tasks"][1]["outputs"] == {"words": "8"}
    # the last cell shows the workflow as its widget (graph and runs)
    (shown,) = executed.cells[-1].outputs
    assert "application/vnd.jupyter.widget-view+json" in shown["data"]

    notebooks.run("01_quickstart")
    again = notebooks.get("workflows/quickstart")
    assert (again["state"], again["latest_version"]) == ("published", 1)
    assert notebooks.versions("quickstart_count.py") == [(1, "count the words")]


def test_monitor_fix_and_rerun_with_downstream(notebooks: Notebooks) -> None:
    notebooks.run("02_monitor_and_rerun")

    assert notebooks.versions("sales_total.py") == [(1, "sum the day's sales"),
                                                     (2, "amounts have cents")]
    buggy, fixed, rerun = notebooks.runs("monitor_and_rerun")
    # the bug: a failed run, left as it was; its fix ran as a new run on version 2
    assert (buggy["logical_date"], buggy["state"]) == ("2026-01-01", "failed")
    assert tasks(buggy) == {"total": "failed", "announce": "upstream_failed"}
    assert buggy["definition"]["tasks"][0]["resource"] == "sales_total.py@1"
    assert (fixed["logical_date"], fixed["state"]) == ("2026-01-01", "success")
    assert fixed["definition"]["tasks"][0]["resource"] == "sales_total.py@2"
    # the missing file: one run, its failed task rerun with what is below it
    assert (rerun["logical_date"], rerun["state"]) == ("2026-01-02", "success")
    assert tasks(rerun) == {"total": "success", "announce": "success"}
    assert notebooks.attempts(rerun, "total") == [(1, "failed"), (2, "success")]
    assert notebooks.attempts(rerun, "announce") == [(1, "success")]

    # again: the buggy script is not the latest version any more, so it is stored anew
    # (as 3, the fix as 4), and the story runs the same way on those versions
    notebooks.run("02_monitor_and_rerun")
    assert [v for v, _ in notebooks.versions("sales_total.py")] == [1, 2, 3, 4]
    runs = notebooks.runs("monitor_and_rerun")
    assert [(r["state"], r["definition"]["tasks"][0]["resource"]) for r in runs[3:]] == [
        ("failed", "sales_total.py@3"), ("success", "sales_total.py@4"),
        ("success", "sales_total.py@4")]
    assert notebooks.attempts(runs[-1], "total") == [(1, "failed"), (2, "success")]


def test_sync_a_csv_and_a_sqlite_table_transform_with_sql_and_report(
        notebooks: Notebooks) -> None:
    executed = notebooks.run("03_data_sync_and_sql")

    rows = {t["name"]: t["rows"] for t in notebooks.get("warehouse/tables")["tables"]}
    assert rows == {"raw.orders": 5, "raw.customers": 3, "mart.sales_by_country": 2}
    table = notebooks.get("warehouse/tables/mart.sales_by_country")
    assert table["rows"] == [["UK", 2, 162.0], ["US", 2, 140.5]]
    (run,) = notebooks.runs("warehouse_sales")
    assert run["state"] == "success"
    assert tasks(run) == dict.fromkeys(["orders", "customers", "by_country", "report"],
                                       "success")
    # the last cell prints the report notebook's table
    printed = executed.cells[-1].outputs[0]["text"]
    assert "Sales by country" in printed and "162.0" in printed

    notebooks.run("03_data_sync_and_sql")
    rows = {t["name"]: t["rows"] for t in notebooks.get("warehouse/tables")["tables"]}
    assert rows["raw.orders"] == 5  # overwritten, not appended


def test_script_development_with_the_magics(notebooks: Notebooks) -> None:
    notebooks.run("04_script_development")

    assert notebooks.versions("greet_demo.py") == [(1, "first version"),
                                                   (2, "shout, and count the letters")]
    runs = notebooks.runs("debug_greet_demo_py")
    # a run pins the version it started with: the latest (1), the one named (1), the
    # latest again (2)
    assert [(r["state"], r["definition"]["tasks"][0]["resource"]) for r in runs] == [
        ("success", "greet_demo.py@1"), ("success", "greet_demo.py@1"),
        ("success", "greet_demo.py@2")]
    assert runs[-1]["tasks"][0]["outputs"] == {"letters": "3"}

    # again: each saved cell differs from the latest version, so each is a new version
    notebooks.run("04_script_development")
    assert [v for v, _ in notebooks.versions("greet_demo.py")] == [1, 2, 3, 4]
    assert [r["state"] for r in notebooks.runs("debug_greet_demo_py")] == ["success"] * 6

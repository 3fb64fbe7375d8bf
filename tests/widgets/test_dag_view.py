"""The DAG view driven through its Python model against real runs: its node states follow
the run's changes, a selected node shows its details and follows its log, and the rerun
and stop buttons act on the run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from jupyter_batch.errors import NotFound
from jupyter_batch.model.states import RunState
from jupyter_batch.service import BatchService
from jupyter_batch.widgets import DagView
from tests.engine_fixtures import PATIENCE, flow, shell, wait_file, wait_for
from tests.helpers import master_sync
from tests.widgets import source_adapter
from tests.widgets.source_adapter import ServiceSource

source = source_adapter.source
scratch = source_adapter.scratch


def _distinct(values: list[Any]) -> list[Any]:
    """``values`` without repeats in a row: the sequence of states a node went through."""
    return [v for i, v in enumerate(values) if i == 0 or v != values[i - 1]]


def _log(service: BatchService, run_id: int, task: str) -> str:
    """What a task's log holds so far ("" until its attempt is stored)."""
    try:
        return service.read_log(run_id, task).text
    except NotFound:
        return ""


@pytest.fixture
def views() -> Iterator[list[DagView]]:
    """Views a test opens, closed after it (each holds a subscription and a thread)."""
    opened: list[DagView] = []
    yield opened
    for view in opened:
        view.close()


def open_view(views: list[DagView], source: ServiceSource, **where: Any) -> DagView:
    view = DagView(source, **where)
    views.append(view)
    return view


def test_node_states_follow_a_real_run(source: ServiceSource, service: BatchService,
                                       scratch: Path, views: list[DagView]) -> None:
    go = scratch / "go"
    run_id = source.prerun(flow("three", [shell("a", f"{wait_file(go)}; echo a"),
                                          shell("b", "echo b"), shell("c", "echo c")],
                                [("a", "b"), ("b", "c")]))
    view = open_view(views, source, run_id=run_id)
    seen: list[dict[str, str]] = []
    view.observe(lambda change: seen.append(dict(change["new"])), "states")

    go.touch()
    run = service.wait_run(run_id, timeout=PATIENCE)
    assert view.drain(PATIENCE)

    assert run.state == RunState.SUCCESS
    assert view.states == {t.task_id: t.state.value for t in run.tasks}
    assert view.states == {"a": "success", "b": "success", "c": "success"}
    assert view.canvas.states == view.states
    assert view.run_state == "success" and "success" in view.header.value
    # b was still pending when the view subscribed: every step it took reached the trait
    assert _distinct([states["b"] for states in seen]) == ["pending", "queued", "running",
                                                          "success"]


def test_a_selected_task_shows_its_details_and_follows_its_log(
        source: ServiceSource, service: BatchService, scratch: Path,
        views: list[DagView]) -> None:
    go = scratch / "go"
    run_id = source.prerun(flow("logs", [
        # printf builds each line, so the command at the top of the log never holds it
        shell("talk", f"printf 'line-%s\\n' one; {wait_file(go)}; printf 'line-%s\\n' two"),
        shell("after", "echo done")], [("talk", "after")]))
    view = open_view(views, source, run_id=run_id)
    wait_for(lambda: view.states.get("talk") == "running"
             and "line-one" in _log(service, run_id, "talk"), "the first line of the log")

    view.select("talk")

    assert view.canvas.selected == "talk"
    assert "running" in view.panel.details.value and "shell" in view.panel.details.value
    assert "line-one" in view.log_text and "line-two" not in view.log_text
    assert view.panel.rerun_button.disabled and not view.panel.stop_button.disabled

    go.touch()
    service.wait_run(run_id, timeout=PATIENCE)
    assert view.drain(PATIENCE)

    assert view.log_text.count("line-one") == 1
    assert view.log_text.index("line-one") < view.log_text.index("line-two")
    assert "exited with code 0" in view.log_text
    # followed, not re-read: each read starts where the one before ended
    offsets = [offset for _, task, _, offset in source.log_reads if task == "talk"]
    assert offsets == sorted(offsets) and offsets[-1] > 0
    details = view.panel.details.value
    assert "success" in details and "exit 0" in details
    assert not view.panel.rerun_button.disabled and view.panel.stop_button.disabled
    assert view.panel.output.value == ""  # a shell task has no output notebook


def test_a_selected_running_task_shows_new_log_lines_without_any_state_change(
        source: ServiceSource, service: BatchService, scratch: Path,
        views: list[DagView]) -> None:
    first, second = scratch / "first", scratch / "second"
    run_id = source.prerun(flow("quiet", [shell("long", (
        f"{wait_file(first)}; printf 'line-%s\\n' one; {wait_file(second)}"))]))
    view = open_view(views, source, run_id=run_id)
    wait_for(lambda: view.states.get("long") == "running", "the task to run")
    view.select("long")

    first.touch()  # the task writes a line and keeps running: no state changes now
    wait_for(lambda: "line-one" in view.log_text, "the new line to reach the view")

    assert view.states["long"] == "running"
    second.touch()
    service.wait_run(run_id, timeout=PATIENCE)


def test_the_rerun_buttons_rerun_the_selected_task(source: ServiceSource,
                                                   service: BatchService,
                                                   views: list[DagView]) -> None:
    run_id = source.prerun(flow("again", [shell("a", "echo a"), shell("b", "echo b"),
                                          shell("c", "echo c")],
                                [("a", "b"), ("b", "c", False)]))
    service.wait_run(run_id, timeout=PATIENCE)
    view = open_view(views, source, run_id=run_id)

    view.select("b")
    view.panel.rerun_button.click()
    service.wait_run(run_id, timeout=PATIENCE)
    assert view.drain(PATIENCE)

    assert [a.attempt for a in source.task_attempts(run_id, "b")] == [1, 2]
    assert getattr(view.task_run("b"), "attempt", None) == 2
    assert view.states["b"] == "success"
    assert view.log_text.startswith(f"# jupyter-batch: run {run_id}, task b, attempt 2")
    assert "rerunning b" in view.panel.message.value

    view.select("a")
    view.panel.rerun_downstream_button.click()
    service.wait_run(run_id, timeout=PATIENCE)
    assert view.drain(PATIENCE)

    # the relation b -> c has rerun off: a rerun with downstream stops at b
    attempts = {t: len(source.task_attempts(run_id, t)) for t in "abc"}
    assert attempts == {"a": 2, "b": 3, "c": 1}
    assert "rerunning a, b" in view.panel.message.value
    assert view.states == {"a": "success", "b": "success", "c": "success"}


def test_the_stop_button_stops_the_run(source: ServiceSource, service: BatchService,
                                       views: list[DagView]) -> None:
    run_id = source.prerun(flow("halt", [shell("slow", "sleep 30"), shell("after", "true")],
                                [("slow", "after")]))
    view = open_view(views, source, run_id=run_id)
    wait_for(lambda: view.states.get("slow") == "running", "the slow task to run")
    view.select("slow")

    view.panel.rerun_button.click()  # refused while the run runs, and said so
    assert "still running" in view.panel.message.value
    assert view.panel.stop_button.button_style == "danger"  # red while it can act

    view.panel.stop_button.click()
    run = service.wait_run(run_id, timeout=PATIENCE)
    assert view.drain(PATIENCE)

    assert run.state == RunState.CANCELLED
    assert view.run_state == "cancelled"
    assert view.states == {"slow": "cancelled", "after": "cancelled"}
    # disabled, it no longer looks like a live red button
    assert view.panel.stop_button.disabled
    assert view.panel.stop_button.button_style == ""
    # how the task ended, in words, not as a negative exit code
    view.select("after")
    view.select("slow")
    assert "stopped (SIGTERM)" in view.panel.details.value
    assert "-15" not in view.panel.details.value


def test_a_notebook_task_links_its_output_notebook(source: ServiceSource,
                                                   service: BatchService,
                                                   views: list[DagView]) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    service.add_resource("report.ipynb", nbformat.writes(nb).encode())
    run_id = source.prerun(flow("nb", [{"id": "report", "type": "notebook",
                                        "resource": "report.ipynb"}]))
    service.wait_run(run_id, timeout=PATIENCE)
    view = open_view(views, source, run_id=run_id)

    view.select("report")

    assert view.states == {"report": "success"}
    assert f'href="/batch/api/runs/{run_id}/tasks/report/output?attempt=1"' in (
        view.panel.output.value)


def test_a_workflow_view_draws_the_served_layout(source: ServiceSource, service: BatchService,
                                                 views: list[DagView]) -> None:
    service.save_workflow(master_sync())
    service.publish("master_sync")
    service.save_workflow(flow("drawn", [shell("extract", "true"), shell("report", "true")],
                               [("masterdata", "extract"), ("extract", "report", False)],
                               references=[{"id": "masterdata", "workflow": "master_sync"}]))
    view = open_view(views, source, workflow="drawn")

    assert view.canvas.nodes == service.layout("drawn")["nodes"]
    assert [(n["id"], n["kind"]) for n in view.canvas.nodes] == [
        ("masterdata", "reference"), ("extract", "task"), ("report", "task")]
    assert {"from": "extract", "to": "report", "rerun": False} in view.canvas.edges
    assert view.states == {}
    assert "reference" in view.legend.value and "not rerun downstream" in view.legend.value

    view.select("masterdata")
    assert "reference to" in view.panel.details.value
    assert "master_sync" in view.panel.details.value
    with pytest.raises(KeyError, match="nope"):
        view.select("nope")


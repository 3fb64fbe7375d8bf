"""What a UI review of the side panel found, in a real JupyterLab through Chromium: an
output notebook opens clean (not dirty, no kernel, no 404 in the console), the list
follows workflows saved, published or deleted elsewhere, the empty list names
the panel's own way to create a workflow, and a workflow's DAG shows without a run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import skip_without_browser
from tests.browser.lab import Batch, JupyterLab
from tests.browser.test_side_panel import (
    REPORT_NOTEBOOK,
    accept_dialog,
    flaky_workflow,
    open_panel,
    prerun,
    select_task,
    wait_run_state,
    workflow_row,
)
from tests.conftest import JUPYTER

skip_without_browser()

Shot = Callable[[Any, str], Path]


def sessions_on(lab: JupyterLab, path: str) -> list[dict[str, Any]]:
    """The kernel sessions the server holds for a file."""
    return [s for s in lab.get("/api/sessions") if s.get("path", "").endswith(path)]


def test_an_output_notebook_opens_clean_without_a_kernel(page: Any, lab: JupyterLab,
                                                         batch: Batch, shot: Shot) -> None:
    batch.add_resource("review_report.ipynb", json.dumps(REPORT_NOTEBOOK), "the report")
    batch.save_workflow({"name": "review_output",
                         "tasks": [{"id": "report", "type": "notebook",
                                    "resource": "review_report.ipynb"}]})
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}")
            if r.status >= 400 else None)
    page.on("console", lambda m: failed.append(m.text) if m.type == "error" else None)
    open_panel(page)
    run_id = prerun(page, batch, "review_output")
    wait_run_state(page, run_id, "success")

    task = select_task(page, run_id, "report")
    task.get_by_role("button", name="Open output notebook").click()
    notebook = page.locator(".jp-NotebookPanel:visible")
    notebook.wait_for(state="visible")
    notebook.locator(".jp-OutputArea-output", has_text="the report says 42").wait_for()
    page.wait_for_timeout(2000)  # a kernel would have been asked for by now

    path = f"run-{run_id}/report.attempt-1.ipynb"
    widget = "window.jupyterapp.shell.currentWidget"
    assert page.evaluate(f"() => {widget}.context.path").endswith(path)
    assert page.evaluate(f"() => {widget}.content.widgets.every(cell => cell.readOnly)")
    assert page.evaluate(f"() => {widget}.context.model.dirty") is False
    assert page.locator(".lm-TabBar-tab.lm-mod-current.jp-mod-dirty").count() == 0
    assert page.evaluate(f"() => {widget}.sessionContext.session") is None
    assert sessions_on(lab, path) == []
    assert failed == []
    shot(page, "output-notebook")

    # opened again (the file is there now): still clean, still no kernel, no 404
    page.evaluate(f"() => {widget}.close()")
    task.get_by_role("button", name="Open output notebook").click()
    notebook.locator(".jp-OutputArea-output", has_text="the report says 42").wait_for()
    page.wait_for_timeout(1500)
    assert page.evaluate(f"() => {widget}.context.model.dirty") is False
    assert sessions_on(lab, path) == []
    assert failed == []


def terminal(lab: JupyterLab, *args: str) -> None:
    """``jupyter batch ARGS`` in another process on the lab's data folder."""
    env = {**os.environ, "JUPYTER_BATCH_DIR": str(lab.batch_dir)}
    done = subprocess.run([str(JUPYTER), "batch", *args], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_list_follows_workflows_changed_elsewhere(page: Any, lab: JupyterLab,
                                                      tmp_path: Path, shot: Shot) -> None:
    """Saved and published in a terminal, deleted through the REST API: the open list
    shows each change as it happens, without a Refresh."""
    open_panel(page)
    page.locator(".jp-batch-workflows").wait_for()
    path = tmp_path / "live_batch.workflow.json"
    path.write_text(json.dumps(flaky_workflow("live_batch")))

    terminal(lab, "workflow", "save", str(path))
    state = workflow_row(page, "live_batch").locator(".jp-batch-wfstate")
    state.filter(has_text="draft").wait_for()
    terminal(lab, "workflow", "publish", "live_batch")
    state.filter(has_text="published v1").wait_for()
    shot(page, "published-elsewhere")

    terminal(lab, "workflow", "offline", "live_batch")
    state.filter(has_text="offline v1").wait_for()
    lab.request("DELETE", "/batch/api/workflows/live_batch")
    page.locator('.jp-batch-workflow[data-workflow="live_batch"]').wait_for(state="detached")


def test_the_empty_list_names_the_library(page: Any, shot: Shot) -> None:
    page.route(re.compile(r".*/batch/api/workflows(\?.*)?$"),
               lambda route: route.fulfill(json={"workflows": []}))
    open_panel(page)
    empty = page.locator(".jp-batch-workflows .jp-batch-empty")
    empty.wait_for()
    text = " ".join(empty.inner_text().split())
    assert text.startswith("No workflows yet."), text
    assert "Library tab" in text and "Use program" in text, text
    assert "jupyter batch workflow save" in text, text
    shot(page, "empty")
    # and it leads there
    empty.get_by_role("button", name="Library tab").click()
    page.locator('.jp-batch-tab.jp-mod-current[data-tab="library"]').wait_for()


def shape_workflow(name: str, extra: bool = False) -> dict[str, Any]:
    """A draft of three tasks; ``extra`` adds a fourth below them."""
    doc: dict[str, Any] = {
        "name": name,
        "description": "defined, never run",
        "tasks": [
            {"id": "extract", "type": "shell", "command": "echo extracting",
             "timeout": 600, "retries": 2},
            {"id": "clean", "type": "python", "code": "print('clean')",
             "params": {"region": "eu"}},
            {"id": "audit", "type": "shell", "command": "echo audited"},
        ],
        "relations": [{"from": "extract", "to": "clean"},
                      {"from": "extract", "to": "audit", "rerun": False}],
    }
    if extra:
        doc["tasks"].append({"id": "report", "type": "shell", "command": "echo report"})
        doc["relations"].append({"from": "clean", "to": "report"})
    return doc


def node_ids(view: Any) -> set[str]:
    return set(view.locator("[data-node-id]").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('data-node-id'))"))


def test_a_draft_that_never_ran_shows_its_dag(page: Any, lab: JupyterLab, batch: Batch,
                                              shot: Shot) -> None:
    name = "shape_batch"
    batch.save_workflow(shape_workflow(name))
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/layout" in r.url else None)
    open_panel(page)
    workflow_row(page, name).locator(".jp-batch-workflow-name").click()

    view = page.locator(f'.jp-batch-workflowview[data-workflow="{name}"]')
    view.locator('[data-node-id="extract"]').wait_for()
    assert batch.runs(name) == []
    assert view.get_attribute("data-version") == "draft"
    # the picture the layout route computed, nodes neutral: no states
    layout = lab.get(f"/batch/api/workflows/{name}/layout")
    assert node_ids(view) == {n["id"] for n in layout["nodes"]}
    for n in layout["nodes"]:
        node = view.locator(f'[data-node-id="{n["id"]}"]')
        assert node.get_attribute("transform") == (
            f"translate({16 + n['x'] * 210:g}, {16 + n['y'] * 56:g})")
        assert node.get_attribute("data-state") == "none"
    assert view.locator(".jp-batch-dag-edge.jp-mod-norerun").count() == 1
    subs = view.locator("[data-node-id]").evaluate_all(
        "nodes => Object.fromEntries(nodes.map(n => [n.getAttribute('data-node-id'),"
        " n.querySelector('.jp-batch-dag-sub').textContent]))")
    assert subs == {"extract": "shell", "clean": "python", "audit": "shell"}

    # a task's definition on selection
    view.locator('[data-node-id="extract"]').click()
    details = view.locator('.jp-batch-spec[data-task="extract"]')
    details.wait_for()
    field = lambda key: details.locator(f'dd[data-field="{key}"]').inner_text()  # noqa: E731
    assert (field("type"), field("timeout"), field("retries")) == ("shell", "600 s", "2")
    assert field("command") == "echo extracting"
    assert field("downstream") == "clean, audit"
    view.locator('[data-node-id="clean"]').click()
    details = view.locator('.jp-batch-spec[data-task="clean"]')
    assert '"region": "eu"' in details.locator('dd[data-field="params"]').inner_text()
    assert details.locator('dd[data-field="retries"]').inner_text() == "not set"
    shot(page, "draft")

    # no polling: an idle tab asks nothing
    before = len(asked)
    page.wait_for_timeout(2000)
    assert len(asked) == before

    # Publish from the tab: it shows the new version without a refresh
    view.get_by_role("button", name="Publish").click()
    page.locator(".jp-Dialog input").fill("from the tab")
    accept_dialog(page, "Publish")
    view.locator(".jp-batch-wfstate", has_text="published v1").wait_for()
    assert view.get_by_role("button", name="Publish").count() == 0
    assert batch.workflow(name)["latest_version"] == 1

    # the draft changes elsewhere: Refresh shows it; version 1 keeps its three tasks
    batch.save_workflow(shape_workflow(name, extra=True))
    view.get_by_role("button", name="Refresh").click()
    view.locator('[data-node-id="report"]').wait_for()
    view.get_by_role("button", name="Publish").wait_for()
    view.locator('select[aria-label="version"]').select_option("1")
    page.locator(f'.jp-batch-workflowview[data-workflow="{name}"][data-version="1"]').wait_for()
    page.wait_for_function(
        "el => !el.querySelector('[data-node-id=\"report\"]') && "
        "el.querySelector('[data-node-id=\"extract\"]')", arg=view.element_handle())
    assert node_ids(view) == {"extract", "clean", "audit"}
    assert "from the tab" in view.locator(".jp-batch-rundetail-head").inner_text()
    assert view.get_by_role("button", name="Publish").count() == 0
    shot(page, "version-1")

    # Pre-run from the tab opens the run
    view.get_by_role("button", name="Pre-run").click()
    page.locator(".jp-batch-rundetail[data-run-id] [data-node-id='report']").wait_for()
    (run,) = batch.runs(name)
    assert run["trigger"] == "prerun"

    # the tab in the dark theme
    page.locator(".lm-TabBar-tab", has_text=name).first.click()
    view.locator('[data-node-id="extract"]').click()
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', "
                  "{theme: 'JupyterLab Dark'})")
    page.wait_for_selector("body[data-jp-theme-light='false']", state="attached")
    page.wait_for_timeout(500)  # the theme's stylesheet applies
    shot(page, "dark")
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', "
                  "{theme: 'JupyterLab Light'})")

"""The side panel in a real JupyterLab, driven through Chromium as a person would.

Workflows are created through the REST API; everything else happens in the page: the
panel lists them, a pre-run's nodes turn green from the server's state-change events, a
failed task is rerun with its downstream, logs and output notebooks open, a file is
added as a resource from the file browser's context menu, and the first example notebook
runs in the same JupyterLab and draws its DAG widget.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import skip_without_browser
from tests.browser.lab import Batch, JupyterLab

skip_without_browser()

Shot = Callable[[Any, str], Path]

REPORT_NOTEBOOK = {
    "nbformat": 4, "nbformat_minor": 5,
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}},
    "cells": [{"cell_type": "code", "id": "c1", "metadata": {}, "execution_count": None,
               "outputs": [], "source": "print('the report says', 6 * 7)"}],
}


def hello_workflow(name: str, gate: Path) -> dict[str, Any]:
    """Four steps that succeed; the first waits (a minute at most) until ``gate`` exists."""
    wait = f"for i in $(seq 600); do [ -e '{gate}' ] && break; sleep 0.1; done"
    return {
        "name": name,
        "description": "four steps that succeed",
        "schedule": {"cron": "0 2 * * *", "timezone": "Europe/Berlin"},
        "tasks": [
            {"id": "extract", "type": "shell", "command": f"echo hello from extract; {wait}"},
            {"id": "clean", "type": "shell", "command": "echo cleaning for $BATCH_DS"},
            {"id": "audit", "type": "shell", "command": "echo audited"},
            {"id": "report", "type": "notebook", "resource": "report.ipynb"},
        ],
        "relations": [{"from": "extract", "to": "clean"}, {"from": "extract", "to": "audit"},
                      {"from": "clean", "to": "report"}],
    }


def flaky_workflow(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": "its middle task fails on the first attempt",
        "tasks": [
            {"id": "prepare", "type": "shell", "command": "echo preparing"},
            {"id": "flaky", "type": "shell",
             "command": 'echo "attempt $BATCH_ATTEMPT"; test "$BATCH_ATTEMPT" -gt 1'},
            {"id": "publish", "type": "shell", "command": "echo published"},
        ],
        "relations": [{"from": "prepare", "to": "flaky"}, {"from": "flaky", "to": "publish"}],
    }


# --- steps in the page ----------------------------------------------------------------

def open_sidebar(page: Any, widget_id: str) -> None:
    """Click a left sidebar icon, unless its panel is open already (a click would close it)."""
    tab = page.locator(f'.jp-SideBar [data-id="{widget_id}"]')
    if "lm-mod-current" not in (tab.get_attribute("class") or ""):
        tab.click()


def open_panel(page: Any) -> Any:
    open_sidebar(page, "jupyter-batch-panel")
    panel = page.locator(".jp-batch-panel")
    panel.wait_for(state="visible")
    return panel


def workflow_row(page: Any, name: str) -> Any:
    row = page.locator(f'.jp-batch-workflow[data-workflow="{name}"]')
    row.wait_for(state="visible")
    return row


def prerun(page: Any, batch: Batch, name: str) -> int:
    """Pre-run from the panel; the run opens in a main-area tab. Returns the run's id."""
    before = {r["id"] for r in batch.runs(name)}
    workflow_row(page, name).get_by_role("button", name="Pre-run").click()
    page.wait_for_function(
        "() => !!document.querySelector('.jp-batch-rundetail[data-run-id] .jp-batch-dag-node')")
    (run_id,) = {r["id"] for r in batch.runs(name)} - before
    page.locator(f'.jp-batch-rundetail[data-run-id="{run_id}"]').wait_for()
    return run_id


def wait_states(page: Any, run_id: int, states: dict[str, str],
                timeout: float = 60_000) -> None:
    """Wait until each node of the run's DAG shows its state."""
    page.wait_for_function(
        """([runId, states]) => Object.entries(states).every(([id, state]) => {
             const node = document.querySelector(
               `.jp-batch-rundetail[data-run-id="${runId}"] [data-node-id="${id}"]`);
             return node && node.getAttribute('data-state') === state;
           })""",
        arg=[run_id, states], timeout=timeout)


def wait_run_state(page: Any, run_id: int, state: str) -> None:
    page.locator(f'.jp-batch-rundetail[data-run-id="{run_id}"][data-state="{state}"]'
                 ).wait_for()


def select_task(page: Any, run_id: int, task: str) -> Any:
    page.click(f'.jp-batch-rundetail[data-run-id="{run_id}"] [data-node-id="{task}"]')
    panel = page.locator(f'.jp-batch-task[data-task="{task}"]')
    panel.wait_for(state="visible")
    return panel


def wait_log(page: Any, task: Any, text: str) -> None:
    page.wait_for_function("([el, text]) => el.textContent.includes(text)",
                           arg=[task.locator(".jp-batch-log-text").element_handle(), text])


def open_file(page: Any, path: str) -> None:
    """Open ``path`` in JupyterLab as a user would from the file browser. The command's
    result (the widget) stays in the page: Playwright cannot carry it back."""
    page.evaluate("async path => { await window.jupyterapp.commands.execute("
                  "'docmanager:open', {path}); }", path)


def accept_dialog(page: Any, label: str) -> None:
    page.locator(".jp-Dialog").wait_for(state="visible")
    page.locator(".jp-Dialog-button.jp-mod-accept", has_text=label).click()
    page.locator(".jp-Dialog").wait_for(state="detached")


# --- tests ----------------------------------------------------------------------------

def test_prerun_nodes_turn_green_live_log_and_output(page: Any, batch: Batch,
                                                     tmp_path: Path, shot: Shot) -> None:
    gate = tmp_path / "gate"
    batch.add_resource("report.ipynb", json.dumps(REPORT_NOTEBOOK), "the report")
    batch.save_workflow(hello_workflow("hello_batch", gate))

    open_panel(page)
    row = workflow_row(page, "hello_batch")
    assert "every day at 02:00 (Europe/Berlin)" in row.inner_text()
    assert "draft" in row.inner_text()
    shot(page, "workflows")

    run_id = prerun(page, batch, "hello_batch")
    # extract waits for the gate: the page has the run while it runs, so what follows
    # reaches the page only through the state-change events
    wait_states(page, run_id, {"extract": "running", "clean": "pending"})
    shot(page, "running")
    gate.touch()
    wait_states(page, run_id, {"extract": "success", "clean": "success", "audit": "success",
                               "report": "success"})
    wait_run_state(page, run_id, "success")
    assert batch.run(run_id)["state"] == "success"
    shot(page, "success")

    task = select_task(page, run_id, "extract")
    wait_log(page, task, "hello from extract")
    assert "complete" in task.locator(".jp-batch-log-status").inner_text()
    shot(page, "log")

    task = select_task(page, run_id, "report")
    task.get_by_role("button", name="Open output notebook").click()
    notebook = page.locator(".jp-NotebookPanel:visible")
    notebook.wait_for(state="visible")
    notebook.locator(".jp-OutputArea-output", has_text="the report says 42").wait_for()
    # a record of what ran: its cells cannot be edited
    assert page.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets"
                         ".every(cell => cell.readOnly)")
    shot(page, "output-notebook")


def test_failed_task_rerun_with_downstream(page: Any, batch: Batch, shot: Shot) -> None:
    batch.save_workflow(flaky_workflow("flaky_batch"))
    open_panel(page)
    run_id = prerun(page, batch, "flaky_batch")
    wait_states(page, run_id, {"prepare": "success", "flaky": "failed",
                               "publish": "upstream_failed"})
    wait_run_state(page, run_id, "failed")

    task = select_task(page, run_id, "flaky")
    wait_log(page, task, "attempt 1")
    shot(page, "failed")

    task.get_by_role("button", name="Rerun with downstream").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(state="visible")
    assert "flaky, publish" in dialog.inner_text()
    shot(page, "rerun-dialog")
    accept_dialog(page, "Rerun")

    wait_states(page, run_id, {"prepare": "success", "flaky": "success",
                               "publish": "success"})
    wait_run_state(page, run_id, "success")
    # the log follows the new attempt; the timeline keeps both
    wait_log(page, task, "attempt 2")
    page.wait_for_selector('.jp-batch-timeline-bar[data-attempt="2"]')
    run = batch.run(run_id)
    flaky = next(t for t in run["tasks"] if t["id"] == "flaky")
    assert (run["state"], flaky["state"], flaky["attempt"]) == ("success", "success", 2)
    shot(page, "rerun-success")


def test_add_resource_from_the_file_browser(page: Any, lab: JupyterLab, batch: Batch,
                                            shot: Shot) -> None:
    (lab.root / "clean_sales.py").write_text("print('clean')\n", encoding="utf-8")
    (lab.root / "notes.txt").write_text("not a resource\n", encoding="utf-8")
    open_sidebar(page, "filebrowser")
    page.locator(".jp-DirListing-item", has_text="clean_sales.py").wait_for()

    # offered on a script, not on a text file
    page.locator(".jp-DirListing-item", has_text="notes.txt").click(button="right")
    page.locator(".lm-Menu").wait_for(state="visible")
    assert "Add to Batch as resource" not in page.locator(".lm-Menu").inner_text()
    page.keyboard.press("Escape")

    page.locator(".jp-DirListing-item", has_text="clean_sales.py").click(button="right")
    item = page.locator(".lm-Menu-item", has_text="Add to Batch as resource")
    item.wait_for(state="visible")
    shot(page, "context-menu")
    item.click()
    page.locator(".Toastify__toast", has_text="Added clean_sales.py as version 1").wait_for()
    (version,) = batch.resource_versions("clean_sales.py")
    assert version["message"] == "added from clean_sales.py"

    batch.add_resource("clean_sales.py", "print('clean')\nprint('and more')\n", "second")
    open_panel(page)
    page.click('.jp-batch-tab[data-tab="resources"]')
    page.locator('.jp-batch-resource[data-resource="clean_sales.py"]').click()
    versions = page.locator('.jp-batch-versions[data-resource="clean_sales.py"]')
    versions.locator('.jp-batch-version[data-version="2"]').wait_for()
    assert "second" in versions.inner_text()
    shot(page, "versions")

    versions.get_by_role("button", name="Show diff").click()
    page.locator(".jp-batch-diff-add", has_text="print('and more')").wait_for()
    shot(page, "diff")

    versions.locator('.jp-batch-version[data-version="1"]').get_by_role(
        "button", name="Open").click()
    editor = page.locator(".jp-batch-version-editor:visible")
    editor.wait_for()
    assert "print('clean')" in editor.inner_text()
    assert page.locator(".lm-TabBar-tab.lm-mod-current",
                        has_text="clean_sales.py@1 (read-only)").count() == 1
    shot(page, "version-editor")

    # the file open in the editor, uploaded as the next version
    (lab.root / "clean_sales.py").write_text("print('clean, third take')\n", encoding="utf-8")
    open_file(page, "clean_sales.py")
    page.locator(".lm-TabBar-tab.lm-mod-current", has_text="clean_sales.py").wait_for()
    versions.get_by_role("button", name="Upload current file").click()
    page.locator(".jp-Dialog input").fill("third take")
    accept_dialog(page, "Upload")
    versions.locator('.jp-batch-version[data-version="3"]').wait_for()
    assert batch.resource_versions("clean_sales.py")[-1]["message"] == "third take"


def test_runs_publish_errors_and_dark_theme(page: Any, batch: Batch, shot: Shot) -> None:
    batch.save_workflow(flaky_workflow("nightly_batch"))
    open_panel(page)

    # publish from the panel
    workflow_row(page, "nightly_batch").get_by_role("button", name="Publish").click()
    page.locator(".jp-Dialog input").fill("first release")
    accept_dialog(page, "Publish")
    page.locator('.jp-batch-workflow[data-workflow="nightly_batch"] .jp-batch-wfstate',
                 has_text="published v1").wait_for()

    # a server error is shown with the server's message
    workflow_row(page, "nightly_batch").get_by_role("button", name="Backfill…").click()
    page.locator('.jp-Dialog input[name="start"]').fill("2026-11-20")
    page.locator('.jp-Dialog input[name="end"]').fill("2026-11-10")
    accept_dialog(page, "Backfill")
    toast = page.locator(".Toastify__toast", has_text="is before its start")
    toast.wait_for()
    page.wait_for_timeout(800)  # the toast slides in
    shot(page, "error")

    # the runs list, filtered by workflow, gains the new run as it starts
    page.click('.jp-batch-tab[data-tab="runs"]')
    page.select_option('.jp-batch-runs select[aria-label="workflow"]', "nightly_batch")
    page.locator(".jp-batch-empty", has_text="No runs match").wait_for()
    workflow_row_gone = page.locator('.jp-batch-run[data-run-id]')
    assert workflow_row_gone.count() == 0
    page.click('.jp-batch-tab[data-tab="workflows"]')
    run_id = prerun(page, batch, "nightly_batch")
    page.click('.jp-batch-tab[data-tab="runs"]')
    page.locator(f'.jp-batch-run[data-run-id="{run_id}"]').wait_for()
    assert "1\u20131 of 1" in page.locator(".jp-batch-pager").inner_text()

    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', "
                  "{theme: 'JupyterLab Dark'})")
    page.wait_for_selector("body[data-jp-theme-light='false']", state="attached")
    page.wait_for_timeout(500)  # the theme's stylesheet applies
    shot(page, "dark-run")
    page.click('.jp-batch-tab[data-tab="workflows"]')
    shot(page, "dark-workflows")
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', "
                  "{theme: 'JupyterLab Light'})")


def test_two_hundred_workflows_render_only_the_rows_in_view(page: Any, batch: Batch,
                                                          shot: Shot) -> None:
    for i in range(200):
        batch.save_workflow({"name": f"bulk_{i:03d}", "tasks": [
            {"id": "step", "type": "shell", "command": "true"}]})
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/batch/api/runs?" in r.url else None)
    open_panel(page)
    workflow_row(page, "bulk_000")
    total = int(page.locator(".jp-batch-search").get_attribute("placeholder").split()[1])
    assert total >= 200
    assert page.locator(".jp-batch-workflow").count() < 30  # rows in view, not 200
    # the last run is asked for the rows on screen only
    page.wait_for_timeout(500)
    assert len(asked) < 30, asked

    # scrolled down half a view at a time (other tests' workflows sort after bulk_199 in
    # this shared JupyterLab), the rows of each stretch are drawn as it comes into view
    page.wait_for_function("""() => {
        const list = document.querySelector('.jp-batch-workflows .jp-batch-vlist');
        if (document.querySelector('.jp-batch-workflow[data-workflow="bulk_199"]')) {
            return true;
        }
        list.scrollTop += list.clientHeight / 2;
        return false;
    }""", polling=100)
    workflow_row(page, "bulk_199")
    assert page.locator(".jp-batch-workflow").count() < 30
    shot(page, "scrolled")

    page.locator(".jp-batch-search").fill("bulk_15")
    page.wait_for_function(
        "() => document.querySelectorAll('.jp-batch-workflow').length === 10")


QUICKSTART = Path(__file__).resolve().parents[2] / "example_notebooks" / "01_quickstart.ipynb"


def test_quickstart_notebook_renders_the_dag_widget(page: Any, lab: JupyterLab, batch: Batch,
                                                    shot: Shot) -> None:
    """The first example notebook, run in this JupyterLab: its pre-run shows the DAG
    widget with every task succeeded, and the workflow it publishes is in the panel."""
    if not QUICKSTART.is_file():
        pytest.skip(f"no {QUICKSTART.name} (the example notebooks are not there)")
    (lab.root / QUICKSTART.name).write_bytes(QUICKSTART.read_bytes())
    open_file(page, QUICKSTART.name)
    # a cell run before the kernel's websocket is up is dropped: wait for it to be idle
    page.wait_for_function(
        """() => {
             const kernel = window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel;
             return kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
           }""", timeout=60_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")

    # the pre-run cell's output: the live graph, every node succeeded
    notebook = page.locator(".jp-NotebookPanel:visible")
    for task in ("hello", "count", "report"):
        notebook.locator(".jp-OutputArea-output svg g title",
                         has_text=f"{task} (").first.wait_for(state="attached",
                                                              timeout=120_000)
    page.wait_for_function(
        """() => {
             const titles = Array.from(document.querySelectorAll(
               '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output svg g title'));
             return ['hello', 'count', 'report'].every(task => titles.some(
               t => t.textContent.startsWith(task + ' (') && t.textContent.endsWith('success')));
           }""", timeout=120_000)
    notebook.locator(".jp-OutputArea-output svg").first.scroll_into_view_if_needed()
    shot(page, "dag-widget")

    # the last cell published it: the panel lists it with its schedule in words
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll('.jp-Notebook .jp-InputPrompt'))
                 .every(p => !p.textContent.includes('*'))""", timeout=120_000)
    open_panel(page)
    page.locator(".jp-batch-search").fill("quickstart")  # other tests made 200 more
    row = workflow_row(page, "quickstart")
    # published: its next fire joins the line, both told in Berlin's time
    assert re.search(r"every day at 06:00 · next .*, 06:00 \(Europe/Berlin\)",
                     row.inner_text()), row.inner_text()
    assert "published" in row.inner_text()
    shot(page, "panel")


def test_ten_thousand_runs_page_through(page: Any, lab: JupyterLab, shot: Shot) -> None:
    """Last in this file: it leaves 10,000 runs behind. They are written straight into
    the store this JupyterLab's server uses (running them would take the suite's whole
    budget); the Runs tab pages through them 50 at a time and renders only what is in
    view."""
    from jupyter_batch.model.workflow import load_workflow
    from jupyter_batch.service import BatchService

    service = BatchService(data_dir=lab.base / "batch")
    try:
        doc = {"name": "ten_thousand", "tasks": [
            {"id": "step", "type": "shell", "command": "true"}]}
        service.save_workflow(doc)
        wf = load_workflow(doc)
        first = service.store.runs.create(workflow=wf, version=None, logical_date="2026-01-01",
                                          trigger="manual", params={}, owner=None)
        for _ in range(9_999):
            last = service.store.runs.create(workflow=wf, version=None,
                                             logical_date="2026-01-01", trigger="manual",
                                             params={}, owner=None)
    finally:
        service.close()

    open_panel(page)
    page.click('.jp-batch-tab[data-tab="runs"]')
    page.select_option('.jp-batch-runs select[aria-label="workflow"]', "ten_thousand")
    pager = page.locator(".jp-batch-runs .jp-batch-pager-text")
    pager.filter(has_text="of 10,000").wait_for()
    page.locator(f'.jp-batch-run[data-run-id="{last}"]').wait_for()  # newest first
    assert "1\u201350 of 10,000" in pager.inner_text()
    assert page.locator(".jp-batch-run").count() <= 50

    page.get_by_role("button", name="Older \u203a").click()
    pager.filter(has_text="51\u2013100 of 10,000").wait_for()
    page.locator(".jp-batch-runs button[title='oldest']").click()
    pager.filter(has_text="9,951\u201310,000 of 10,000").or_(
        pager.filter(has_text="9951\u201310000 of 10,000")).wait_for()
    assert page.locator(".jp-batch-run").count() < 50  # only the rows in view are drawn
    page.locator(".jp-batch-runs .jp-batch-vlist").evaluate(
        "el => { el.scrollTop = el.scrollHeight; }")
    page.locator(f'.jp-batch-run[data-run-id="{first}"]').wait_for()  # the oldest run
    shot(page, "oldest-page")

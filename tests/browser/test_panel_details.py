"""The side panel's details a user reads, in a real JupyterLab through Chromium: a running
run's clock moves while its task prints nothing, a task that never ran says why instead
of showing an empty log, Stop asks first and a stopped task says it was stopped, Run…
with an empty date names the date it used, schedule times name their zone, and text
cut at the panel's default width fits or has a tooltip.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import skip_without_browser
from tests.browser.lab import Batch, JupyterLab
from tests.browser.test_side_panel import (
    accept_dialog,
    flaky_workflow,
    open_panel,
    prerun,
    select_task,
    wait_run_state,
    wait_states,
    workflow_row,
)

skip_without_browser()

Shot = Callable[[Any, str], Path]


def silent_workflow(name: str, gate: Path) -> dict[str, Any]:
    """One task that prints nothing until ``gate`` exists (a minute at most), then one after."""
    wait = f"for i in $(seq 600); do [ -e '{gate}' ] && break; sleep 0.1; done"
    return {"name": name,
            "tasks": [{"id": "quiet", "type": "shell", "command": wait},
                      {"id": "after", "type": "shell", "command": "echo after"}],
            "relations": [{"from": "quiet", "to": "after"}]}


def header_elapsed(page: Any, run_id: int) -> str:
    """The run header's elapsed time ("3.2 s"): the last part of its muted line."""
    text = page.locator(f'.jp-batch-rundetail[data-run-id="{run_id}"] '
                        ".jp-batch-rundetail-head .jp-batch-muted").inner_text()
    return text.rsplit("\u00b7", 1)[-1].strip()


def run_tab_ticking(page: Any, run_id: int) -> bool:
    """Whether the run's tab keeps its times moving on its own."""
    return page.evaluate(
        """runId => Array.from(window.jupyterapp.shell.widgets('main'))
             .some(w => w.content && w.content.runId === runId && w.content.ticking)""",
        run_id)


def words(text: str | None) -> str:
    return " ".join((text or "").split())


def fits(locator: Any) -> bool:
    """Whether an element shows all of its text: nothing clipped, inside its row."""
    return locator.evaluate("el => el.scrollWidth <= el.clientWidth + 1"
                            " && el.scrollHeight <= el.clientHeight + 1")


# --- tests ----------------------------------------------------------------------------

def test_a_running_run_ticks_and_a_stop_is_confirmed(page: Any, batch: Batch, tmp_path: Path,
                                                    shot: Shot) -> None:
    batch.save_workflow(silent_workflow("silent_batch", tmp_path / "gate"))
    open_panel(page)
    run_id = prerun(page, batch, "silent_batch")
    wait_states(page, run_id, {"quiet": "running"})
    page.wait_for_timeout(700)  # the burst of events that started it is over

    # the task prints nothing, so no event comes: the clock moves anyway
    first = header_elapsed(page, run_id)
    axis = page.locator(".jp-batch-timeline-axis span").last.inner_text()
    page.wait_for_timeout(2200)
    assert header_elapsed(page, run_id) != first
    assert page.locator(".jp-batch-timeline-axis span").last.inner_text() != axis
    assert run_tab_ticking(page, run_id)

    # and in the Runs list
    page.click('.jp-batch-tab[data-tab="runs"]')
    page.select_option('.jp-batch-runs select[aria-label="workflow"]', "silent_batch")
    duration = page.locator(f'.jp-batch-run[data-run-id="{run_id}"] '
                            ".jp-batch-run-line.jp-batch-muted span:last-child")
    duration.wait_for()
    before = duration.inner_text()
    page.wait_for_timeout(2200)
    assert duration.inner_text() != before
    shot(page, "ticking")

    # Stop asks first, naming the run; cancelling the dialog leaves the run running
    page.get_by_role("button", name="Stop run").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(state="visible")
    assert f"Stop run #{run_id}?" in dialog.inner_text()
    assert "silent_batch" in dialog.inner_text()
    shot(page, "stop-dialog")
    page.locator(".jp-Dialog-button", has_text="Cancel").click()
    dialog.wait_for(state="detached")
    page.wait_for_timeout(500)
    assert batch.run(run_id)["state"] == "running"

    page.get_by_role("button", name="Stop run").click()
    accept_dialog(page, "Stop run")
    wait_run_state(page, run_id, "cancelled")
    # nothing runs: the clock stops
    page.wait_for_function(
        """runId => !Array.from(window.jupyterapp.shell.widgets('main'))
             .some(w => w.content && w.content.runId === runId && w.content.ticking)""",
        arg=run_id)

    # the stopped task says so in words, not as "exit -15"
    task = select_task(page, run_id, "quiet")
    head = task.locator(".jp-batch-task-head")
    page.wait_for_function("el => el.textContent.includes('stopped (SIGTERM)')",
                           arg=head.element_handle())
    assert "-15" not in head.inner_text()
    shot(page, "stopped")


def test_a_task_that_never_ran_says_why_instead_of_a_log(page: Any, batch: Batch,
                                                         shot: Shot) -> None:
    doc = flaky_workflow("never_batch")
    doc["tasks"][1]["command"] = "echo broken; exit 3"
    batch.save_workflow(doc)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/tasks/publish/log" in r.url else None)
    open_panel(page)
    run_id = prerun(page, batch, "never_batch")
    wait_states(page, run_id, {"flaky": "failed", "publish": "upstream_failed"})
    wait_run_state(page, run_id, "failed")

    task = select_task(page, run_id, "publish")
    task.locator(".jp-batch-task-notrun").wait_for()
    assert task.locator(".jp-batch-task-notrun").inner_text() == (
        "This task did not run: an upstream task did not succeed.")
    page.wait_for_timeout(500)
    # no log box, no attempt picker, "following…" nowhere, and no log asked for
    assert task.locator(".jp-batch-log").count() == 0
    assert task.locator('select[aria-label="attempt"]').count() == 0
    assert "following" not in task.inner_text()
    assert asked == []
    shot(page, "upstream-failed")

    # a task that ran keeps its log, and its exit code
    task = select_task(page, run_id, "flaky")
    task.locator(".jp-batch-log-text", has_text="broken").wait_for()
    assert "exit 3" in task.locator(".jp-batch-task-head").inner_text()


def test_run_with_an_empty_date_names_the_date_it_used(page: Any, batch: Batch,
                                                       shot: Shot) -> None:
    batch.save_workflow(flaky_workflow("dated_batch"))
    batch.publish("dated_batch")
    open_panel(page)
    workflow_row(page, "dated_batch").get_by_role("button", name="Run…").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(state="visible")
    assert "Empty: today" in dialog.inner_text()
    page.locator('.jp-Dialog input[name="date"]').fill("")
    shot(page, "dialog")
    accept_dialog(page, "Run")

    toast = page.locator(".Toastify__toast", has_text="of dated_batch started for")
    toast.wait_for()
    found = re.search(r"Run #(\d+) of dated_batch started for (\d{4}-\d{2}-\d{2})",
                      toast.inner_text())
    assert found, toast.inner_text()
    assert batch.run(int(found[1]))["logical_date"] == found[2]


@pytest.fixture
def new_york_page(browser: Any, lab: JupyterLab) -> Iterator[Any]:
    """JupyterLab in a browser whose clock is in New York, six hours behind Berlin."""
    context = browser.new_context(viewport={"width": 1400, "height": 900},
                                  timezone_id="America/New_York")
    context.set_default_timeout(30_000)
    tab = context.new_page()
    tab.goto(lab.lab_url())
    tab.wait_for_function("() => !!window.jupyterapp")
    tab.evaluate("async () => { await window.jupyterapp.restored; }")
    yield tab
    context.close()


def test_the_next_fire_is_told_in_the_schedules_zone(new_york_page: Any, batch: Batch,
                                                     shot: Shot) -> None:
    page = new_york_page
    doc = flaky_workflow("berlin_nightly_with_a_rather_long_name")
    doc["schedule"] = {"cron": "0 6 * * 1-5", "timezone": "Europe/Berlin"}
    batch.save_workflow(doc)
    batch.publish(doc["name"])
    open_panel(page)
    page.locator(".jp-batch-search").fill("berlin_nightly")
    line = workflow_row(page, doc["name"]).locator(".jp-batch-workflow-line").first
    text = line.inner_text()
    # 06:00 in Berlin is 00:00 in New York: the next fire reads 06:00, zone named
    assert re.fullmatch(r"every weekday \(Monday to Friday\) at 06:00 · next "
                        r"[A-Z][a-z]{2} \d{1,2}(, \d{4})?, 06:00 \(Europe/Berlin\)", text), text
    # cut at the panel's width, the line is whole in its tooltip, with the reader's clock
    title = line.get_attribute("title") or ""
    assert title.startswith(text)
    assert re.search(r"00:00 America/New_York \(your clock\)", title), title
    shot(page, "workflows")


def test_text_cut_at_the_default_width_fits_or_has_a_tooltip(page: Any, lab: JupyterLab,
                                                            batch: Batch, shot: Shot) -> None:
    batch.save_workflow(flaky_workflow("wide_batch"))
    open_panel(page)
    run_id = prerun(page, batch, "wide_batch")
    wait_run_state(page, run_id, "failed")
    lab.request("POST", f"/batch/api/runs/{run_id}/rerun",
                {"task": "flaky", "downstream": True})
    batch.wait_run(run_id)

    # the run took 12 hours, its rerun came 3 minutes after the first attempt ended
    # (times moved in the replies: waiting for them is not a test's business)
    def long_runs(route: Any) -> None:
        reply = route.fetch().json()
        for run in reply["runs"]:
            if run["ended_at"]:
                end = datetime.fromisoformat(run["ended_at"])
                run["started_at"] = (end - timedelta(hours=12, minutes=59)).isoformat()
        route.fulfill(json=reply)

    def late_rerun(route: Any) -> None:
        reply = route.fetch().json()
        attempts = reply["attempts"]
        if len(attempts) > 1:
            for field in ("started_at", "ended_at"):
                moved = datetime.fromisoformat(attempts[-1][field]) + timedelta(seconds=170)
                attempts[-1][field] = moved.isoformat()
        route.fulfill(json=reply)

    page.route(re.compile(r".*/batch/api/runs\?.*"), long_runs)
    page.route(re.compile(r".*/batch/api/runs/\d+/tasks/flaky/attempts.*"), late_rerun)

    # the timeline: the late attempt's bar and its number stay inside the view
    page.locator(".jp-batch-rundetail .jp-batch-button", has_text="Refresh").click()
    bar = page.locator('.jp-batch-timeline-bar[data-attempt="2"]')
    bar.wait_for()
    page.wait_for_function(
        "el => parseFloat(getComputedStyle(el).left) > el.parentElement.clientWidth * 0.9",
        arg=bar.element_handle())
    track = bar.locator("xpath=..")
    box, track_box = bar.bounding_box(), track.bounding_box()
    assert box["x"] + box["width"] <= track_box["x"] + track_box["width"] + 0.5
    assert bar.inner_text() == "2" and fits(bar)
    shot(page, "timeline")

    # the runs list: a long duration and the state filter are whole
    page.click('.jp-batch-tab[data-tab="runs"]')
    page.select_option('.jp-batch-runs select[aria-label="workflow"]', "wide_batch")
    row = page.locator(f'.jp-batch-run[data-run-id="{run_id}"]')
    duration = row.locator(".jp-batch-run-line.jp-batch-muted span:last-child")
    page.wait_for_function("el => el.textContent === '12 h 59 min'",
                           arg=duration.element_handle())
    box, row_box = duration.bounding_box(), row.bounding_box()
    assert box["x"] + box["width"] <= row_box["x"] + row_box["width"]
    assert fits(duration)
    for label in ("state", "workflow"):
        select = page.locator(f'.jp-batch-runs select[aria-label="{label}"]')
        # as wide as it would be, with room to spare, showing what it shows
        natural = select.evaluate(
            """el => { const copy = el.cloneNode(false);
                       copy.appendChild(el.options[el.selectedIndex].cloneNode(true));
                       copy.style.cssText = 'width:auto;max-width:none;flex:none;position:absolute';
                       el.parentElement.appendChild(copy);
                       const width = copy.getBoundingClientRect().width; copy.remove();
                       return width; }""")
        assert select.bounding_box()["width"] >= natural - 1, label
    shot(page, "runs")

    # a long resource name: whole, or whole in its tooltip
    page.click('.jp-batch-tab[data-tab="resources"]')
    name = page.locator('.jp-batch-resource[data-resource="library/database_to_warehouse.py"] '
                        ".jp-batch-resource-name")
    name.wait_for()
    assert name.get_attribute("title") == "library/database_to_warehouse.py"
    assert fits(name)
    shot(page, "resources")

    # library rows: each cut line whole in its tooltip
    page.click('.jp-batch-tab[data-tab="library"]')
    lines = page.locator(".jp-batch-program-line")
    lines.first.wait_for()
    for i in range(lines.count()):
        line = lines.nth(i)
        assert fits(line) or words(line.get_attribute("title")) == words(line.inner_text()), i
    shot(page, "library")

    # a workflow's schedule line, cut, has its tooltip
    page.click('.jp-batch-tab[data-tab="workflows"]')
    doc = flaky_workflow("weekday_batch")
    doc["schedule"] = {"cron": "30 6 * * 1-5", "timezone": "America/Argentina/Buenos_Aires"}
    batch.save_workflow(doc)
    page.locator(".jp-batch-workflows .jp-batch-button", has_text="Refresh").click()
    page.locator(".jp-batch-search").fill("weekday_batch")
    line = workflow_row(page, "weekday_batch").locator(".jp-batch-workflow-line").first
    assert words(line.get_attribute("title")) == words(line.inner_text())
    shot(page, "workflows")

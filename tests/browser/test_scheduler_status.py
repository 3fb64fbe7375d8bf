"""The Workflows tab says which scheduler leads the store, in a real JupyterLab.

Schedulers sharing a store take turns through a lease in its database: the holder starts
the scheduled runs, the others stand by. This module's lab starts while another holder
("elsewhere") has the lease for ten minutes, and with a ten-minute lease of its own, so it
tries to take the lease only every 200 s or when woken (a workflow saved or published):
the test decides who leads, and the panel must follow at each refresh.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from jupyter_batch.service import SCHEDULER_LEASE_NAME, BatchService
from tests.browser.conftest import ARTIFACTS, skip_without_browser
from tests.browser.lab import Batch, JupyterLab
from tests.browser.test_library_panel import switch_theme
from tests.browser.test_side_panel import open_panel, workflow_row

skip_without_browser()

Shot = Callable[[Any, str], Path]

ELSEWHERE = "elsewhere:1:x"
LEASE = 600


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BatchService]:
    """The lab's store, opened by the test process before the lab starts, its scheduler
    lease held by ELSEWHERE."""
    base = tmp_path_factory.mktemp("standby-lab")
    with BatchService(data_dir=base / "batch") as service:
        assert service.store.leases.hold(SCHEDULER_LEASE_NAME, ELSEWHERE, ttl=LEASE)
        yield service


@pytest.fixture(scope="module")
def lab(store: BatchService) -> Iterator[JupyterLab]:
    """This module's lab (the pages load it): its scheduler stands by from the start."""
    server = JupyterLab(base=store.data_dir.parent,
                        log_path=ARTIFACTS / "jupyter-lab-scheduler.log",
                        args=(f"--BatchApp.scheduler_lease={LEASE}",))
    assert server.batch_dir == store.data_dir
    server.start()
    yield server
    server.stop()


def status_line(page: Any) -> Any:
    return page.locator(".jp-batch-workflows .jp-batch-scheduler")


def refresh(page: Any) -> dict[str, Any]:
    """Click Refresh in the Workflows tab; returns the scheduler status the panel read."""
    # the page's GETs carry a cache-busting query: match the path
    with page.expect_response(lambda r: urlsplit(r.url).path.endswith("/batch/api/scheduler")
                              ) as reply:
        page.locator(".jp-batch-workflows").get_by_role("button", name="Refresh").click()
    return reply.value.json()


def wait_leader(batch: Batch, holder: Callable[[str | None], bool],
                timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status = batch.scheduler()
        if holder(status["leader"]) or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def shots_in_both_themes(page: Any, shot: Shot, name: str) -> None:
    shot(page, f"{name}-light")
    switch_theme(page, "JupyterLab Dark", light=False)
    try:
        shot(page, f"{name}-dark")
    finally:
        switch_theme(page, "JupyterLab Light", light=True)


def test_the_tab_follows_the_scheduler_lease(page: Any, lab: JupyterLab, store: BatchService,
                                            shot: Shot) -> None:
    batch = Batch(lab)
    batch.save_workflow({"name": "nightly", "description": "a published schedule",
                         "schedule": {"cron": "0 2 * * *", "timezone": "UTC"},
                         "tasks": [{"id": "hello", "type": "shell", "command": "echo hi"}]})
    batch.publish("nightly")  # wakes the lab's scheduler: ELSEWHERE's lease holds it off
    status = batch.scheduler()
    assert (status["leader"], status["running_here"], status["leads_here"]) == (
        ELSEWHERE, True, False)

    # another process leads: named by host and pid, quietly
    open_panel(page)
    workflow_row(page, "nightly")
    line = status_line(page)
    line.wait_for(state="visible")
    assert line.inner_text() == "Scheduler: led by elsewhere:1"
    assert "this server's scheduler stands by" in (line.get_attribute("title") or "")
    assert "jp-mod-warn" not in (line.get_attribute("class") or "")
    shots_in_both_themes(page, shot, "led-elsewhere")

    # the leader gives the lease up and the lab's scheduler has not tried since: none leads
    store.store.leases.release(SCHEDULER_LEASE_NAME, ELSEWHERE)
    assert refresh(page)["leader"] is None
    warning = page.locator(".jp-batch-scheduler.jp-mod-warn[role=alert]")
    warning.wait_for(state="visible")
    assert warning.inner_text() == (
        "No scheduler leads this store: published schedules are not firing")
    shots_in_both_themes(page, shot, "none-leads")

    # a saved workflow wakes the lab's scheduler: it takes the lease
    batch.save_workflow({"name": "adhoc", "tasks": [{"id": "t", "type": "shell",
                                                     "command": "true"}]})
    assert wait_leader(batch, lambda leader: leader is not None)["leads_here"]
    assert refresh(page)["leads_here"]
    line.filter(has_text="this server leads").wait_for()
    assert re.fullmatch(r"Scheduler: this server leads \(for [\d.]+ s\)", line.inner_text())
    assert warning.count() == 0

    # a second scheduler on the same store (the test's) stands by: this server still leads
    store.start_scheduler()
    seen = store.scheduler_status()
    assert (seen.running_here, seen.leads_here) == (True, False)
    assert seen.leader == batch.scheduler()["leader"]
    assert refresh(page)["leads_here"]
    line.filter(has_text="this server leads").wait_for()
    shots_in_both_themes(page, shot, "this-server-leads")

"""The timeline against a real run with a retry: one bar per attempt on its task's row,
each from the attempt's start to its end, coloured by the attempt's state — whether the
timeline watched the run live or was opened after it."""

from __future__ import annotations

from pathlib import Path

from jupyter_batch.model.states import RunState
from jupyter_batch.service import BatchService
from jupyter_batch.widgets import Timeline
from jupyter_batch.widgets.style import TASK_COLORS
from tests.engine_fixtures import PATIENCE, flow, q, shell, wait_file
from tests.widgets import source_adapter
from tests.widgets.source_adapter import ServiceSource

source = source_adapter.source
scratch = source_adapter.scratch


def test_the_timelines_bars_match_the_task_attempts(source: ServiceSource,
                                                    service: BatchService,
                                                    scratch: Path) -> None:
    go, failed_once = scratch / "go", scratch / "failed-once"
    flaky = (f"if [ -e {q(failed_once)} ]; then echo fine; "
             f"else touch {q(failed_once)}; exit 3; fi")
    run_id = source.prerun(flow("gantt", [
        shell("first", f"{wait_file(go)}; echo 1"),
        shell("flaky", flaky, retries=1),
        shell("last", "echo 3")], [("first", "flaky"), ("flaky", "last")]))
    live = Timeline(source, run_id)
    go.touch()
    run = service.wait_run(run_id, timeout=PATIENCE)
    assert live.drain(PATIENCE)
    after = Timeline(source, run_id)
    try:
        assert run.state == RunState.SUCCESS
        expected = [{"task": task, "attempt": a.attempt, "start": a.started_at,
                     "end": a.ended_at, "state": a.state.value,
                     "color": TASK_COLORS[a.state.value]}
                    for task in ("first", "flaky", "last")
                    for a in source.task_attempts(run_id, task)]
        assert live.bars == after.bars == expected
        assert [(b["task"], b["attempt"], b["state"]) for b in live.bars] == [
            ("first", 1, "success"), ("flaky", 1, "failed"), ("flaky", 2, "success"),
            ("last", 1, "success")]
        assert all(b["start"] <= b["end"] for b in live.bars)
        retried, retry = live.bars[1], live.bars[2]
        assert retried["end"] <= retry["start"]
        assert retried["color"] == TASK_COLORS["failed"] != retry["color"]
        assert live.chart.value.count("<rect") == 4
        assert "flaky · attempt 2 · success" in live.chart.value
        assert "failed" in live.legend.value and "running" not in live.legend.value
    finally:
        live.close()
        after.close()

"""The runs table: a workflow's runs newest first, a new run appearing on top as it
starts and its row following it to the end; other workflows' runs stay out."""

from __future__ import annotations

from datetime import date

from jupyter_batch.model.states import RunState
from jupyter_batch.service import BatchService
from jupyter_batch.widgets import RunsTable
from tests.engine_fixtures import PATIENCE, flow, shell
from tests.widgets import source_adapter
from tests.widgets.source_adapter import ServiceSource

source = source_adapter.source


def test_the_runs_table_lists_runs_newest_first_and_follows_new_ones(
        source: ServiceSource, service: BatchService) -> None:
    service.save_workflow(flow("listed", [shell("a", "echo a")]))
    service.save_workflow(flow("other", [shell("a", "echo a")]))
    first = source.prerun("listed")
    service.wait_run(first, timeout=PATIENCE)
    table = RunsTable(source, "listed")
    try:
        assert [r.id for r in table.runs] == [first]

        second = source.prerun("listed")
        elsewhere = source.prerun("other")
        third = source.prerun("listed")
        for run_id in (second, elsewhere, third):
            service.wait_run(run_id, timeout=PATIENCE)
        assert table.drain(PATIENCE)

        assert [r.id for r in table.runs] == [third, second, first]
        assert all(r.state == RunState.SUCCESS for r in table.runs)
        assert all(r.started_at and r.ended_at and r.started_at <= r.ended_at
                   for r in table.runs)
        assert {(r.trigger, r.logical_date) for r in table.runs} == {
            ("prerun", date.today().isoformat())}
        html = table.table.value
        assert html.index(f">{third}</td>") < html.index(f">{first}</td>")
        assert f">{elsewhere}</td>" not in html
        assert html.count("success") == 3 and " s</td>" in html  # durations

        live = [(r.id, r.state, r.ended_at) for r in table.runs]
        table.refresh_button.click()
        assert [(r.id, r.state, r.ended_at) for r in table.runs] == live
    finally:
        table.close()

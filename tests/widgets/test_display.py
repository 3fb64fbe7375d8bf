"""Which widget shows which object, the shared state colours, and where a validation
problem's path points."""

from __future__ import annotations

import ipywidgets
import pytest

from jupyter_batch.model.states import RunState, TaskState
from jupyter_batch.model.workflow import load_workflow
from jupyter_batch.service import BatchService
from jupyter_batch.widgets import DagView, Designer, RunsTable, Timeline, display_for
from jupyter_batch.widgets.problems import Place, place_of
from jupyter_batch.widgets.style import RUN_COLORS, TASK_COLORS, legend_html
from tests.engine_fixtures import PATIENCE, flow, shell
from tests.widgets import source_adapter
from tests.widgets.source_adapter import ServiceSource

source = source_adapter.source


def test_display_for_picks_the_widget_of_each_object(source: ServiceSource,
                                                     service: BatchService) -> None:
    doc = flow("shown", [shell("a", "true")])
    service.save_workflow(doc)
    run_id = source.prerun("shown")
    run = service.wait_run(run_id, timeout=PATIENCE)

    shown = [display_for(obj, source) for obj in (run, run_id, "shown", doc,
                                                  load_workflow(doc))]
    try:
        for tabs in shown[:2]:
            assert isinstance(tabs, ipywidgets.Tab) and tabs.titles == ("graph", "timeline")
            view, timeline = tabs.children
            assert isinstance(view, DagView) and view.run_id == run_id
            assert isinstance(timeline, Timeline) and timeline.run_id == run_id
        tabs = shown[2]
        assert tabs.titles == ("graph", "runs")
        assert isinstance(tabs.children[0], DagView) and tabs.children[0].run_id is None
        assert isinstance(tabs.children[1], RunsTable)
        for designer in shown[3:]:
            assert isinstance(designer, Designer) and designer.document == doc
        with pytest.raises(TypeError, match="no widget shows a float"):
            display_for(1.5, source)
    finally:
        for widget in shown:
            widget.close()


def test_every_state_has_a_colour_and_a_legend_entry() -> None:
    assert set(TASK_COLORS) == {s.value for s in TaskState}
    assert set(RUN_COLORS) == {s.value for s in RunState}
    legend = legend_html()
    assert all(state.replace("_", " ") in legend for state in TASK_COLORS)
    assert legend_html({"failed"}).count("<span") == 1


@pytest.mark.parametrize(("where", "place", "rest"), [
    ("tasks[1].resource", Place("tasks", 1, "resource"), ""),
    ("tasks[0].params.ds", Place("tasks", 0, "params"), "ds"),
    ("tasks[2].files[0]", Place("tasks", 2, "files"), "[0]"),
    ("tasks[3]", Place("tasks", 3, ""), ""),
    ("relations[0].to", Place("relations", 0, "to"), ""),
    ("relations", Place("relations", None, ""), ""),
    ("schedule.cron", Place("schedule", None, "cron"), ""),
    ("schedule", Place("schedule", None, ""), ""),
    ("params.ds", Place("workflow", None, "params"), "ds"),
    ("name", Place("workflow", None, "name"), ""),
    ("", Place("workflow", None, ""), ""),
])
def test_a_problems_path_names_its_editor_and_field(where: str, place: Place,
                                                    rest: str) -> None:
    assert place_of(where) == (place, rest)

"""The designer driven through its Python model: building a valid workflow with the
methods, the buttons and the fields; validation problems reaching the field they are
about; the schedule editor's next fire times; pre-run and publish."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from ipywidgets.widgets.widget import _instances as _open_widgets

from jupyter_batch.errors import CycleError, InvalidInput, NotFound
from jupyter_batch.model.states import RunState
from jupyter_batch.service import BatchService
from jupyter_batch.widgets import Designer
from tests.engine_fixtures import PATIENCE
from tests.helpers import master_sync
from tests.widgets import source_adapter
from tests.widgets.source_adapter import ServiceSource

source = source_adapter.source

#: "now" for the schedule editor: the Thursday before Europe/Berlin springs forward
#: (Sunday 2026-03-29, 02:00 CET -> 03:00 CEST)
BEFORE_DST = datetime(2026, 3, 26, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def designer(source: ServiceSource, service: BatchService) -> Iterator[Designer]:
    service.add_resource("clean.py", b"print('cleaning')\n", "first cut")
    widget = Designer(source, clock=lambda: BEFORE_DST)
    yield widget
    widget.close()


def test_the_designer_builds_a_valid_workflow_that_saves(designer: Designer,
                                                         service: BatchService) -> None:
    designer.name_field.value = "daily_sales"
    # a task added the way a user adds one: id, type, the add button, then its fields
    designer.new_id.value = "extract"
    designer.new_type.value = "shell"
    designer.add_task_button.click()
    assert designer.new_id.value == ""
    designer.task_editor("extract").fields["command"].value = "echo extracting for $BATCH_DS"
    # and one added from Python, as a shell task first: its fields follow its type
    designer.add_task("clean", "shell", retries=1, timeout=600)
    assert "code" not in designer.task_editor("clean").fields
    designer.task_editor("clean").fields["type"].value = "python"
    editor = designer.task_editor("clean")
    assert {"resource", "code", "args", "interpreter"} <= set(editor.fields)
    # a resource stored after the designer opened joins the dropdown on refresh
    service.add_resource("clean.py", b"print('cleaning better')\n", "drop empty rows")
    assert "clean.py@2" not in [value for _, value in editor.fields["resource"].options]
    designer.refresh_resources_button.click()
    editor = designer.task_editor("clean")
    assert ("   clean.py@1 · first cut", "clean.py@1") in editor.fields["resource"].options
    editor.fields["resource"].value = "clean.py@2"
    editor.params.add_row("top", "10")
    editor.params.add_row("region", "eu")
    service.save_workflow(master_sync())
    service.publish("master_sync")
    designer.add_reference("masterdata", "master_sync", timeout=3600)
    designer.connect("masterdata", "extract")
    designer.connect("extract", "clean", rerun=False)
    designer.set_schedule(cron="0 2 * * *", timezone="Europe/Berlin")

    assert designer.validate() == []
    assert designer.save()

    expected = {
        "name": "daily_sales",
        "schedule": {"cron": "0 2 * * *", "timezone": "Europe/Berlin"},
        "references": [{"id": "masterdata", "workflow": "master_sync", "timeout": 3600}],
        "tasks": [
            {"id": "extract", "type": "shell", "command": "echo extracting for $BATCH_DS"},
            {"id": "clean", "type": "python", "retries": 1, "timeout": 600,
             "resource": "clean.py@2", "params": {"top": 10, "region": "eu"}}],
        "relations": [{"from": "masterdata", "to": "extract"},
                      {"from": "extract", "to": "clean", "rerun": False}],
    }
    assert designer.document == expected
    assert service.get_workflow("daily_sales").draft.to_dict() == expected
    assert "saved the draft of daily_sales" in designer.status.value
    # drawn as the server lays it out; a click on a node opens its editor
    assert designer.canvas.nodes == service.layout("daily_sales")["nodes"]
    assert designer.canvas.edges == service.layout("daily_sales")["edges"]
    designer.canvas.selected = "clean"
    assert designer.editors.children[designer.editors.selected_index] is (
        designer.task_editor("clean"))


def test_connect_refuses_what_the_drawing_cannot_show(designer: Designer) -> None:
    designer.add_task("a", "shell", command="true")
    designer.add_task("b", "shell", command="true")
    designer.connect("a", "b")

    with pytest.raises(CycleError, match=r"a -> b -> a|b -> a -> b"):
        designer.connect("b", "a")
    with pytest.raises(NotFound, match="'c'"):
        designer.connect("a", "c")
    with pytest.raises(InvalidInput, match="already connected"):
        designer.connect("a", "b")
    with pytest.raises(InvalidInput, match="already a node 'a'"):
        designer.add_task("a", "python", code="pass")
    # from a button, the refusal is said in the status line instead of raised
    designer.relations.upstream.value = "b"
    designer.relations.downstream.value = "a"
    designer.relations.connect_button.click()
    assert "cycle" in designer.status.value
    assert len(designer.document["relations"]) == 1


def test_a_success_clears_the_error_the_status_line_showed(designer: Designer) -> None:
    designer.add_task_button.click()  # no id typed
    assert "needs an id" in designer.status.value

    designer.new_id.value = "extract"
    designer.new_type.value = "shell"
    designer.add_task_button.click()
    assert designer.node_ids == ["extract"]
    assert "needs an id" not in designer.status.value

    designer.new_id.value = "load"
    designer.add_task_button.click()
    designer.new_id.value = "report"
    designer.add_task_button.click()
    connect = designer.relations
    for upstream, downstream in (("extract", "load"), ("load", "extract")):
        connect.upstream.value, connect.downstream.value = upstream, downstream
        connect.connect_button.click()
    assert "cycle" in designer.status.value

    connect.upstream.value, connect.downstream.value = "load", "report"
    connect.connect_button.click()
    assert [(r["from"], r["to"]) for r in designer.document["relations"]] == [
        ("extract", "load"), ("load", "report")]
    assert "cycle" not in designer.status.value

    designer.validate_button.click()  # no name, shell tasks without a command
    assert "problems" in designer.status.value and designer.problems
    # a new type redraws the task's editor without the marks: the summary goes with them
    designer.task_editor("report").fields["type"].value = "python"
    assert designer.problems == []
    assert designer.status.value == ""


def test_disconnect_and_delete_remove_relations_and_nodes(designer: Designer) -> None:
    designer.add_task("a", "shell", command="true")
    designer.add_task("b", "shell", command="true")
    designer.add_task("c", "shell", command="true")
    designer.connect("a", "b")
    designer.connect("b", "c")

    designer.disconnect("a", "b")
    assert designer.document["relations"] == [{"from": "b", "to": "c"}]
    designer.task_editor("b").delete_button.click()

    assert [t["id"] for t in designer.document["tasks"]] == ["a", "c"]
    assert "relations" not in designer.document
    assert [n["id"] for n in designer.canvas.nodes] == ["a", "c"]
    with pytest.raises(NotFound):
        designer.task_editor("b")


def test_validation_problems_reach_the_field_they_are_about(designer: Designer) -> None:
    designer.name_field.value = "broken"
    designer.add_task("extract", "shell", command="true")
    designer.add_task("clean", "python", resource="missing.py", params={"ds": "x"})
    designer.add_task("load", "shell", command="true", timeout=-5)
    designer.add_reference("upstream", "master_sync", timeout=-1)
    designer.connect("extract", "upstream")
    designer.set_schedule(cron="61 2 * * *", timezone="Europe/Berlin")

    problems = designer.validate()

    assert {p.where for p in problems} == {
        "tasks[1].resource", "tasks[1].params.ds", "tasks[2].timeout", "relations[0].to",
        "references[0].workflow", "references[0].timeout", "schedule.cron"}
    clean = designer.task_editor("clean").errors.texts
    assert clean["resource"] == "resource 'missing.py' does not exist"
    assert clean["params"].startswith("ds: 'ds' is the name of a built-in variable")
    assert designer.task_editor("load").errors.texts == {
        "timeout": "must be more than 0 seconds (leave it out for no limit)"}
    assert designer.task_editor("extract").errors.texts == {}
    assert "cannot have an upstream" in designer.relations.errors[0].texts["to"]
    assert designer.reference_editor("upstream").errors.texts == {
        "workflow": "no workflow named 'master_sync'",
        "timeout": "must be more than 0 seconds"}
    designer.update_reference("upstream", timeout=None)
    assert designer.document["references"] == [{"id": "upstream", "workflow": "master_sync"}]
    assert "minute field '61'" in designer.schedule.errors.texts["cron"]
    assert designer.errors.texts == {}
    assert "7 problems" in designer.status.value
    # the red label is in the editor, under the field
    assert "missing.py" in designer.task_editor("clean").errors["resource"].value
    # the schedule preview says the same before anyone validates
    assert designer.schedule.fire_times == []
    assert "minute field '61'" in (designer.schedule.problem or "")

    # fixing a field clears its problem; the save button refuses while problems remain
    designer.task_editor("clean").fields["resource"].value = "clean.py"
    assert "resource" not in designer.task_editor("clean").errors.texts
    assert not designer.save()
    assert "relations[0].to" in {p.where for p in designer.problems}


def test_a_workflow_level_problem_is_listed_above_the_buttons(designer: Designer) -> None:
    problems = designer.validate()  # an empty designer: no name, no task

    assert {p.where for p in problems} == {"name", "tasks"}
    assert designer.errors.texts == {"name": "is required",
                                     "tasks": "a workflow needs at least one task"}


def test_the_schedule_editor_shows_the_next_five_fires_across_a_dst_change(
        designer: Designer) -> None:
    editor = designer.schedule
    editor.kind.value = "cron"
    editor.timezone.value = "Europe/Berlin"
    editor.cron.value = "30 2 * * *"

    assert designer.document["schedule"] == {"cron": "30 2 * * *", "timezone": "Europe/Berlin"}
    assert editor.problem is None
    # 02:30 does not exist on the 29th: that day it fires when the clocks jump, at 03:00
    assert [f.isoformat() for f in editor.fire_times] == [
        "2026-03-27T02:30:00+01:00", "2026-03-28T02:30:00+01:00",
        "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00",
        "2026-03-31T02:30:00+02:00"]
    assert "Sat 2026-03-28 02:30 CET" in editor.preview.value
    assert "Sun 2026-03-29 03:00 CEST" in editor.preview.value

    editor.timezone.value = "Mars/Olympus"
    assert editor.fire_times == []
    assert "unknown time zone 'Mars/Olympus'" in (editor.problem or "")

    editor.kind.value = "once"
    editor.once.value = "2026-12-01T02:00:00"
    editor.timezone.value = "Europe/Berlin"
    assert designer.document["schedule"] == {"once": "2026-12-01T02:00:00",
                                             "timezone": "Europe/Berlin"}
    assert [f.isoformat() for f in editor.fire_times] == ["2026-12-01T02:00:00+01:00"]

    editor.kind.value = "manual"
    assert "schedule" not in designer.document and editor.fire_times == []


def test_pre_run_and_publish_buttons(designer: Designer, service: BatchService) -> None:
    designer.name_field.value = "tryout"
    designer.add_task("hello", "shell", command="echo hello")

    designer.add_task_button.click()  # no id typed: said, not raised
    assert "needs an id" in designer.status.value

    designer.prerun_button.click()
    view = designer.run_view
    assert view is not None and view.run_id is not None
    run = service.wait_run(view.run_id, timeout=PATIENCE)
    assert view.drain(PATIENCE)
    assert (run.state, run.trigger) == (RunState.SUCCESS, "prerun")
    assert view.states == {"hello": "success"}
    with pytest.raises(NotFound):  # a pre-run of the document saves nothing
        service.get_workflow("tryout")

    designer.publish_button.click()  # saves the draft, then publishes it
    assert "published tryout version 1" in designer.status.value
    assert service.get_workflow("tryout").state == "published"


def test_structural_edits_redraw_without_leaving_widgets_behind(designer: Designer) -> None:
    for task_id in "abcd":
        designer.add_task(task_id, "shell", command="true", params={"n": 1})
    designer.connect("a", "b")
    open_before = len(_open_widgets)

    for _ in range(3):
        designer.connect("b", "c")
        designer.disconnect("b", "c")
    remove = designer.task_editor("a").params.children[0].children[2]
    remove.click()  # a parameter row's remove button

    assert designer.document["tasks"][0] == {"id": "a", "type": "shell", "command": "true"}
    # every redraw closed what it replaced (one row of three fields less, with layouts)
    assert len(_open_widgets) < open_before


CYCLE = {"name": "nb_bad",
         "schedule": {"cron": "0 25 * * *", "timezone": "Europe/Berlin"},
         "tasks": [{"id": "x", "type": "shell", "command": "true"},
                   {"id": "y", "type": "python"},
                   {"id": "z", "type": "shell", "command": "true"}],
         "relations": [{"from": "x", "to": "y"}, {"from": "y", "to": "z"},
                       {"from": "z", "to": "x"}]}


def _said(widget: object) -> str:
    """Every text the widget and its children show, one after the other."""
    value = getattr(widget, "value", None)
    own = html.unescape(value) if isinstance(value, str) else ""
    return own + "".join(_said(child) for child in getattr(widget, "children", ()))


def test_a_document_with_a_cycle_says_why_it_cannot_be_drawn(source: ServiceSource) -> None:
    designer = Designer(source, CYCLE, clock=lambda: BEFORE_DST)
    try:
        # not "No tasks yet." (an empty canvas): the cycle, named, in its place
        assert designer.canvas.nodes == []
        assert designer.canvas.message == (
            "Cannot draw: relations form a cycle: x \u2192 y \u2192 z \u2192 x")

        designer.disconnect("z", "x")
        assert designer.canvas.message == ""
        assert [n["id"] for n in designer.canvas.nodes] == ["x", "y", "z"]
    finally:
        designer.close()


def test_validate_says_each_problem_once_and_opens_the_section_holding_one(
        source: ServiceSource) -> None:
    designer = Designer(source, CYCLE, clock=lambda: BEFORE_DST)
    try:
        assert designer.editors.selected_index is None  # every section closed

        problems = designer.validate()

        wheres = {p.where for p in problems}
        assert "schedule.cron" in wheres and any(w.startswith("tasks[1]") for w in wheres)
        # the bad cron: under its field, not a second time in the fire-times preview
        assert _said(designer.schedule).count("hour field '25'") == 1
        assert "hour field '25'" in designer.schedule.errors.texts["cron"]
        # the task with a problem is the open section, its title says so
        assert designer.editors.selected_index == 1
        assert "problem" in designer.editors.titles[1]
        assert "problem" not in designer.editors.titles[0]
        assert "task y" in designer.status.value and "schedule" in designer.status.value

        # fixed at the field: the preview tells the fire times again
        designer.schedule.cron.value = "0 2 * * *"
        assert "next fire times in Europe/Berlin" in designer.schedule.preview.value
    finally:
        designer.close()

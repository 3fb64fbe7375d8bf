"""Validation: every problem the issue lists, each with where it is and a message a person
understands, and all of them at once."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_batch.errors import InvalidWorkflow, Problem
from jupyter_batch.model.workflow import Reference, Relation, Task, Workflow, load_workflow
from jupyter_batch.tasks.registry import specs
from jupyter_batch.validation import ValidationContext, check_document, require_valid, validate
from tests.helpers import design_example, shell, workflow_doc

#: The resources "in the store" for these tests: name -> latest version.
STORED = {"clean.py": 2, "report.ipynb": 1, "run.sh": 3, "conf.xml": 1, "tool.jar": 1}


@pytest.fixture
def ctx() -> ValidationContext:
    return ValidationContext(task_types=specs(), latest_version=STORED.get)


def problems(doc: dict[str, Any], ctx: ValidationContext) -> list[Problem]:
    return check_document(doc, ctx)[1]


def only(doc: dict[str, Any], ctx: ValidationContext) -> Problem:
    """The one problem of ``doc`` (failing with all of them when there are more)."""
    found = problems(doc, ctx)
    assert len(found) == 1, found
    return found[0]


def at(doc: dict[str, Any], ctx: ValidationContext, where: str) -> str:
    """The message of the problem at ``where`` (failing with all problems when absent)."""
    found = problems(doc, ctx)
    messages = [p.message for p in found if p.where == where]
    assert messages, found
    return messages[0]


def test_the_design_example_is_valid_when_its_resources_exist(ctx: ValidationContext) -> None:
    assert problems(design_example(), ctx) == []


def test_resources_are_not_checked_without_a_store() -> None:
    ctx = ValidationContext(task_types=specs())

    assert problems(workflow_doc(tasks=[shell("a"), {"id": "b", "type": "python",
                                                     "resource": "nowhere.py@9"}]), ctx) == []


def test_require_valid_raises_with_every_problem(ctx: ValidationContext) -> None:
    wf = load_workflow(workflow_doc(tasks=[shell("a"), shell("a")], relations=[("a", "zz")]))

    with pytest.raises(InvalidWorkflow) as raised:
        require_valid(wf, ctx)

    assert {p.where for p in raised.value.problems} == {"tasks[1].id", "relations[0].to"}
    assert str(raised.value).startswith("workflow 'wf' is invalid: ")


# --- the graph ---------------------------------------------------------------------------


def test_a_cycle_lists_its_nodes_in_order(ctx: ValidationContext) -> None:
    doc = workflow_doc(tasks=[shell("a"), shell("b"), shell("c")],
                       relations=[("a", "b"), ("b", "c"), ("c", "a")])

    assert only(doc, ctx) == Problem("relations", "relations form a cycle: a -> b -> c -> a")


def test_a_cycle_lists_only_the_nodes_on_it(ctx: ValidationContext) -> None:
    doc = workflow_doc(tasks=[shell("start"), shell("x"), shell("y")],
                       relations=[("start", "x"), ("x", "y"), ("y", "x")])

    problem = only(doc, ctx)

    assert problem.where == "relations"
    assert problem.message == "relations form a cycle: x -> y -> x"


def test_a_relation_naming_an_unknown_node(ctx: ValidationContext) -> None:
    doc = workflow_doc(relations=[("a", "b"), ("ghost", "b"), ("a", "nowhere")])

    found = problems(doc, ctx)

    assert found == [Problem("relations[1].from", "unknown node 'ghost'"),
                     Problem("relations[2].to", "unknown node 'nowhere'")]


def test_a_reference_cannot_have_an_upstream(ctx: ValidationContext) -> None:
    doc = workflow_doc(references=[{"id": "master", "workflow": "master_sync"}],
                       relations=[("master", "a"), ("a", "master")])

    problem = only(doc, ctx)

    assert problem.where == "relations[1].to"
    assert "reference 'master' cannot have an upstream" in problem.message


def test_a_relation_into_itself(ctx: ValidationContext) -> None:
    doc = workflow_doc(relations=[("a", "b"), ("b", "b")])

    assert only(doc, ctx) == Problem("relations[1]", "relation from 'b' into itself")


def test_a_relation_given_twice(ctx: ValidationContext) -> None:
    doc = workflow_doc(relations=[("a", "b"), ("a", "b")])

    assert only(doc, ctx) == Problem("relations[1]", "duplicate relation 'a' -> 'b'")


def test_duplicate_ids_name_both_places(ctx: ValidationContext) -> None:
    doc = workflow_doc(references=[{"id": "x", "workflow": "other"}],
                       tasks=[shell("a"), shell("x"), shell("a")], relations=[])

    found = problems(doc, ctx)

    assert found == [Problem("tasks[1].id", "duplicate id 'x' (also references[0].id)"),
                     Problem("tasks[2].id", "duplicate id 'a' (also tasks[0].id)")]


@pytest.mark.parametrize("bad_id", ["1st", "-x", "has space", "x" * 65, "a.b"])
def test_a_bad_id(ctx: ValidationContext, bad_id: str) -> None:
    doc = workflow_doc(tasks=[shell(bad_id)])

    problem = only(doc, ctx)

    assert problem.where == "tasks[0].id"
    assert f"id {bad_id!r} may use letters, digits" in problem.message


# --- the tasks ---------------------------------------------------------------------------


def test_an_unknown_task_type_lists_the_known_ones(ctx: ValidationContext) -> None:
    doc = workflow_doc(tasks=[shell("a"), {"id": "b", "type": "bash", "command": "ls"}])

    problem = only(doc, ctx)

    assert problem.where == "tasks[1].type"
    assert problem.message == ("unknown task type 'bash' "
                               "(known types: app, notebook, python, shell, sql, sync)")


def test_a_shell_task_with_neither_command_nor_resource(ctx: ValidationContext) -> None:
    doc = workflow_doc(tasks=[{"id": "a", "type": "shell"}])

    assert only(doc, ctx) == Problem("tasks[0]", "a shell task needs 'resource' or 'command'")


def test_a_sync_task_without_source_or_target(ctx: ValidationContext) -> None:
    doc = workflow_doc(tasks=[{"id": "load", "type": "sync", "mode": "append"}])

    found = problems(doc, ctx)

    assert found == [Problem("tasks[0].source", "is required for a sync task"),
                     Problem("tasks[0].target", "is required for a sync task")]


def test_a_body_the_type_does_not_take(ctx: ValidationContext) -> None:
    doc = workflow_doc(tasks=[shell("a", code="print(1)")])

    problem = only(doc, ctx)

    assert problem.where == "tasks[0].code"
    assert problem.message == "a shell task takes 'resource' or 'command', not 'code'"


def test_a_resource_and_a_command_together(ctx: ValidationContext) -> None:
    doc = workflow_doc(tasks=[shell("a", resource="run.sh")])

    assert only(doc, ctx) == Problem("tasks[0]",
                                     "give either 'resource' or 'command', not both")


@pytest.mark.parametrize(("task", "where", "expected"), [
    (shell("a", retries="two"), "tasks[0].retries", 'must be a whole number, not "two"'),
    (shell("a", timeout="1h"), "tasks[0].timeout", "must be a number"),
    (shell("a", params={"k": {"nested": 1}}), "tasks[0].params", "an object of string"),
    ({"id": "a", "type": "notebook", "resource": "report.ipynb", "kernel": 3},
     "tasks[0].kernel", "must be a string, not 3"),
    ({"id": "a", "type": "sync", "source": "db", "target": "t"},
     "tasks[0].source", 'must be an object, not "db"'),
    ({"id": "a", "type": "sync", "source": {}, "target": "t", "mode": "sideways"},
     "tasks[0].mode", "must be one of overwrite, append, incremental, upsert, not 'sideways'"),
])
def test_a_wrongly_typed_task_field(ctx: ValidationContext, task: dict[str, Any], where: str,
                                    expected: str) -> None:
    problem = only(workflow_doc(tasks=[task]), ctx)

    assert problem.where == where
    assert expected in problem.message


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("retries", -1, "must not be negative"),
    ("timeout", -5, "must be more than 0 seconds (leave it out for no limit)"),
    ("timeout", 0, "must be more than 0 seconds (leave it out for no limit)"),
    ("memory_mb", 0, "must be at least 1"),
])
def test_an_out_of_range_task_field(ctx: ValidationContext, field: str, value: int,
                                    expected: str) -> None:
    assert only(workflow_doc(tasks=[shell("a", **{field: value})]), ctx) == Problem(
        f"tasks[0].{field}", expected)


def test_a_task_option_of_another_type(ctx: ValidationContext) -> None:
    doc = workflow_doc(tasks=[shell("a", kernal="python3")])

    problem = only(doc, ctx)

    assert problem.where == "tasks[0].kernal"
    assert problem.message.startswith("unknown field 'kernal' for a shell task")


# --- resources ---------------------------------------------------------------------------


def python(resource: str, **fields: Any) -> dict[str, Any]:
    return {"id": "p", "type": "python", "resource": resource, **fields}


def test_a_resource_that_does_not_exist(ctx: ValidationContext) -> None:
    assert only(workflow_doc(tasks=[python("missing.py")]), ctx) == Problem(
        "tasks[0].resource", "resource 'missing.py' does not exist")


def test_a_resource_version_that_does_not_exist_says_the_latest(
        ctx: ValidationContext) -> None:
    assert only(workflow_doc(tasks=[python("clean.py@7")]), ctx) == Problem(
        "tasks[0].resource", "resource 'clean.py' has no version 7 (latest is 2)")


def test_existing_versions_are_fine(ctx: ValidationContext) -> None:
    doc = workflow_doc(tasks=[python("clean.py@1"), {**python("clean.py@2"), "id": "q"}])

    assert problems(doc, ctx) == []


def test_a_missing_file_resource_is_found_by_its_index(ctx: ValidationContext) -> None:
    doc = workflow_doc(tasks=[python("clean.py", files=["conf.xml", "lib.zip", "conf.xml@4"])])

    assert problems(doc, ctx) == [
        Problem("tasks[0].files[1]", "resource 'lib.zip' does not exist"),
        Problem("tasks[0].files[2]", "resource 'conf.xml' has no version 4 (latest is 1)"),
    ]


def test_a_resource_with_the_wrong_format_for_the_type(ctx: ValidationContext) -> None:
    problem = only(workflow_doc(tasks=[python("run.sh")]), ctx)

    assert problem.where == "tasks[0].resource"
    assert problem.message == "a python task runs a py resource, not sh ('run.sh')"


def test_an_app_task_accepts_a_jar(ctx: ValidationContext) -> None:
    doc = workflow_doc(tasks=[{"id": "j", "type": "app", "resource": "tool.jar",
                               "args": ["--day", "x"]}])

    assert problems(doc, ctx) == []


def test_an_app_task_with_empty_args_and_nothing_else_to_run(ctx: ValidationContext) -> None:
    assert only(workflow_doc(tasks=[{"id": "a", "type": "app", "args": []}]), ctx) == Problem(
        "tasks[0].args", "is empty: name the program to run first")
    # a jar needs no args
    assert problems(workflow_doc(tasks=[{"id": "j", "type": "app", "resource": "tool.jar",
                                         "args": []}]), ctx) == []


@pytest.mark.parametrize(("ref", "expected"), [
    ("../clean.py", "must be a plain file name"),
    ("clean.py@0", "must be a whole number from 1 up"),
    ("clean.py@two", "must be a whole number from 1 up"),
    ("clean.exe", "allowed formats: "),
])
def test_a_malformed_resource_reference(ctx: ValidationContext, ref: str, expected: str) -> None:
    problem = only(workflow_doc(tasks=[python(ref)]), ctx)

    assert problem.where == "tasks[0].resource"
    assert expected in problem.message


# --- schedule and workflow fields ------------------------------------------------------------


@pytest.mark.parametrize(("cron", "expected"), [
    ("0 25 * * *", "invalid cron expression '0 25 * * *': hour field '25' is not valid"),
    ("61 2 * * *", "minute field '61' is not valid"),
    ("0 2 32 * *", "day of month field '32' is not valid"),
    ("0 2 * 13 *", "month field '13' is not valid"),
    ("0 2 * * funday", "day of week field 'funday' is not valid"),
    ("0 2 * *", "must have 5 fields"),
])
def test_an_invalid_cron_expression_names_the_bad_field(ctx: ValidationContext, cron: str,
                                                        expected: str) -> None:
    problem = only(workflow_doc(schedule={"cron": cron}), ctx)

    assert problem.where == "schedule.cron"
    assert expected in problem.message


def test_an_invalid_timezone(ctx: ValidationContext) -> None:
    problem = only(workflow_doc(schedule={"cron": "0 2 * * *", "timezone": "Mars/Olympus"}), ctx)

    assert problem.where == "schedule.timezone"
    assert "unknown time zone 'Mars/Olympus'" in problem.message


@pytest.mark.parametrize("once", ["tomorrow", "2026-13-01T02:00:00", "2026-12-01 25:00"])
def test_a_once_that_is_not_a_timestamp(ctx: ValidationContext, once: str) -> None:
    problem = only(workflow_doc(schedule={"once": once}), ctx)

    assert problem == Problem("schedule.once", f"{once!r} is not a valid ISO-8601 timestamp "
                                                "(e.g. 2026-12-01T02:00:00+01:00)")


@pytest.mark.parametrize("cron", ["0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30 2 * 15"])
def test_a_cron_that_never_fires(ctx: ValidationContext, cron: str) -> None:
    assert only(workflow_doc(schedule={"cron": cron}), ctx) == Problem(
        "schedule.cron", f"{cron!r} never fires: none of the months it names has the day "
                         "it names")
    for rare in ("0 0 29 2 *", "0 0 30 2 mon"):  # leap days; Feb 30 or any Monday
        assert problems(workflow_doc(schedule={"cron": rare}), ctx) == [], rare


@pytest.mark.parametrize(("start", "end"), [
    ("2027-01-01", "2026-01-01"),
    # a naive time is a wall time in the schedule's zone: 02:30 in Berlin is 00:30 UTC
    ("2026-06-01T01:00:00+00:00", "2026-06-01T02:30:00"),
])
def test_a_start_after_the_end(ctx: ValidationContext, start: str, end: str) -> None:
    schedule = {"cron": "* * * * *", "timezone": "Europe/Berlin", "start": start, "end": end}

    assert only(workflow_doc(schedule=schedule), ctx) == Problem(
        "schedule.start", f"start is after end ({start} > {end}): the schedule never fires")


def test_valid_schedules(ctx: ValidationContext) -> None:
    for schedule in ({"once": "2026-12-01T02:00:00+01:00"}, {"once": "2026-12-01T01:00:00Z"},
                     {"cron": "*/15 8-18 * * mon-fri", "timezone": "America/New_York"},
                     {"cron": "0 2 * * * 30", "catchup": "latest"}):
        assert problems(workflow_doc(schedule=schedule), ctx) == [], schedule


def test_a_schedule_needs_exactly_one_of_cron_and_once(ctx: ValidationContext) -> None:
    assert only(workflow_doc(schedule={"timezone": "UTC"}), ctx) == Problem(
        "schedule", "needs 'cron' or 'once'")
    assert only(workflow_doc(schedule={"cron": "0 2 * * *", "once": "2026-12-01T02:00:00"}),
                ctx) == Problem("schedule", "takes either 'cron' or 'once', not both")


@pytest.mark.parametrize(("fields", "where", "expected"), [
    ({"name": "daily sales"}, "name", "workflow name 'daily sales' may use letters"),
    ({"max_parallel": 0}, "max_parallel", "must be at least 1"),
    ({"failure_strategy": "panic"}, "failure_strategy", "must be one of continue, stop"),
    ({"params": {"bad-name": 1}}, "params.bad-name", "a parameter name may use"),
    ({"schedule": {"cron": "0 2 * * *", "catchup": "some"}}, "schedule.catchup",
     "must be one of none, latest, all"),
    ({"references": [{"id": "r", "workflow": "w", "timeout": 0}]}, "references[0].timeout",
     "must be more than 0 seconds"),
])
def test_a_bad_workflow_field(ctx: ValidationContext, fields: dict[str, Any], where: str,
                              expected: str) -> None:
    problem = only({**workflow_doc(), **fields}, ctx)

    assert problem.where == where
    assert expected in problem.message


def test_a_parameter_may_not_take_the_name_of_the_cycle_variable(
        ctx: ValidationContext) -> None:
    """``${cycle}`` always means the scheduled fire (built-ins win over parameters)."""
    assert only(workflow_doc(params={"cycle": "x"}), ctx) == Problem(
        "params.cycle", "'cycle' is the name of a built-in variable; choose another "
                        "parameter name")


def test_a_workflow_needs_a_task(ctx: ValidationContext) -> None:
    assert only({"name": "empty", "tasks": []}, ctx) == Problem(
        "tasks", "a workflow needs at least one task")


# --- all at once -----------------------------------------------------------------------------


def test_a_document_with_many_problems_reports_all_of_them(ctx: ValidationContext) -> None:
    doc = {
        "name": "many",
        "schedul": {},
        "schedule": {"cron": "0 25 * * *", "timezone": "Nowhere/City"},
        "references": [{"id": "ref", "workflow": "up"}],
        "tasks": [
            {"id": "a", "type": "shell"},
            {"id": "b", "type": "bash", "command": "ls"},
            {"id": "a", "type": "python", "resource": "clean.py@9", "retries": "two"},
            {"id": "d", "type": "python", "resource": "gone.py"},
            {"id": "e", "type": "notebook", "resource": "run.sh"},
            {"id": "f", "type": "sync", "target": "t"},
        ],
        "relations": [
            {"from": "a", "to": "ref"},
            {"from": "b", "to": "b"},
            {"from": "d", "to": "ghost"},
            {"from": "d", "to": "e"}, {"from": "e", "to": "f"}, {"from": "f", "to": "d"},
        ],
    }

    found = {p.where: p.message for p in problems(doc, ctx)}

    assert set(found) == {
        "schedul", "schedule.cron", "schedule.timezone", "tasks[0]", "tasks[1].type",
        "tasks[2].retries", "tasks[2].resource", "tasks[2].id", "tasks[3].resource",
        "tasks[4].resource", "tasks[5].source", "relations[0].to", "relations[1]",
        "relations[2].to", "relations",
    }
    assert found["relations"] == "relations form a cycle: d -> e -> f -> d"
    assert found["tasks[2].resource"] == "resource 'clean.py' has no version 9 (latest is 2)"
    assert found["tasks[3].resource"] == "resource 'gone.py' does not exist"


def test_validate_takes_a_workflow_object(ctx: ValidationContext) -> None:
    wf = load_workflow(workflow_doc(relations=[("a", "b"), ("b", "a")]))

    assert validate(wf, ctx) == [Problem("relations", "relations form a cycle: a -> b -> a")]


def test_a_workflow_built_in_code_gets_the_required_fields_checked_too(
        ctx: ValidationContext) -> None:
    wf = Workflow(name="", references=[Reference(id="r", workflow="")],
                  tasks=[Task(id="", type="shell", command="ls"), Task(id="b", type="")],
                  relations=[Relation("", "b")])

    assert {p.where: p.message for p in validate(wf, ctx)} == {
        "name": "is required", "references[0].workflow": "is required",
        "tasks[0].id": "is required", "tasks[1].type": "is required",
        "relations[0].from": "is required"}


def test_a_missing_field_is_reported_once(ctx: ValidationContext) -> None:
    assert problems({"tasks": [{"id": "a"}, {"type": 3, "id": "b"}]}, ctx) == [
        Problem("name", "is required"), Problem("tasks[0].type", "is required"),
        Problem("tasks[1].type", "must be a string, not 3")]


def test_items_after_one_that_is_not_an_object_keep_their_index(
        ctx: ValidationContext) -> None:
    doc = {"name": "wf", "references": ["r", {"id": "up", "workflow": "w", "timeout": 0}],
           "tasks": ["oops", {"id": "a", "type": "shell"}, shell("a")],
           "relations": [5, {"from": "a", "to": "a"}]}

    assert problems(doc, ctx) == [
        Problem("references[0]", "must be an object"),
        Problem("tasks[0]", "must be an object"),
        Problem("relations[0]", "must be an object"),
        Problem("references[1].timeout", "must be more than 0 seconds"),
        Problem("tasks[1]", "a shell task needs 'resource' or 'command'"),
        Problem("tasks[2].id", "duplicate id 'a' (also tasks[1].id)"),
        Problem("relations[1]", "relation from 'a' into itself"),
    ]


# --- parameters and their environment variables ---------------------------------------------


def test_params_that_become_the_same_environment_variable_are_refused(
        ctx: ValidationContext) -> None:
    doc = workflow_doc(params={"region": "eu", "Region": "us"},
                       tasks=[shell("a", params={"top": 1, "TOP": 2}),
                              shell("b", params={"REGION": "us"})])

    assert {p.where: p.message for p in problems(doc, ctx)} == {
        "params.Region": "'Region' and 'region' both become the environment variable "
                         "BATCH_PARAM_REGION; rename one",
        "tasks[0].params.TOP": "'TOP' and 'top' both become the environment variable "
                               "BATCH_PARAM_TOP; rename one",
        "tasks[1].params.REGION": "'REGION' and the workflow parameter 'region' both become "
                                  "the environment variable BATCH_PARAM_REGION; to override "
                                  "it, name it 'region'",
    }

"""The workflow file (DESIGN.md, "Fixed contracts"): it round-trips exactly, leaves out
what was left out, and every shape or type problem is reported with where it is."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from jupyter_batch.errors import InvalidWorkflow, Problem
from jupyter_batch.model.workflow import (
    Relation,
    Schedule,
    Task,
    Workflow,
    load_workflow,
    load_workflow_text,
    parse_workflow,
    workflow_to_json,
)
from jupyter_batch.tasks.registry import specs
from jupyter_batch.validation import ValidationContext, check_document
from tests.helpers import DESIGN_EXAMPLE_TEXT, canonical, design_example, shell, workflow_doc

REPO = Path(__file__).resolve().parents[2]

#: Every field the format knows, each given once, to prove nothing is dropped or renamed.
EVERY_FIELD: dict[str, Any] = {
    "name": "everything",
    "description": "all the fields",
    "params": {"region": "eu", "top": 10, "ratio": 0.5, "dry": False},
    "schedule": {"cron": "*/5 * * * * 30", "timezone": "UTC", "catchup": "all",
                 "start": "2026-01-01T00:00:00+00:00", "end": "2027-01-01T00:00:00Z",
                 "max_active_runs": 2},
    "max_parallel": 2,
    "failure_strategy": "stop",
    "pool": "small",
    "references": [{"id": "up", "workflow": "other", "task": "t", "timeout": 1.5}],
    "tasks": [
        {"id": "py", "type": "python", "resource": "a.py@1", "args": ["--x", "1"],
         "params": {"k": "v"}, "files": ["conf.xml", "lib.zip@3"], "retries": 2,
         "retry_delay": 0.5, "timeout": 60, "pool": "small", "memory_mb": 512,
         "cpu_seconds": 30, "description": "a python step", "interpreter": "python3"},
        {"id": "load", "type": "sync", "source": {"path": "in.csv", "format": "csv"},
         "target": "sales", "mode": "upsert", "key": ["id"]},
    ],
    "relations": [{"from": "up", "to": "py", "rerun": True}, {"from": "py", "to": "load"}],
}


def problems_of(doc: Any) -> list[Problem]:
    return parse_workflow(doc)[1]


def where(problems: list[Problem]) -> dict[str, str]:
    return {p.where: p.message for p in problems}


# --- round trip --------------------------------------------------------------------------


def test_the_design_example_writes_back_the_same_text() -> None:
    wf = load_workflow(design_example())

    assert wf.to_json() == canonical(design_example())


def test_the_design_example_loads_into_the_model() -> None:
    wf = load_workflow(design_example())

    assert wf.schedule == Schedule(cron="0 2 * * *", timezone="Europe/Berlin", catchup="none")
    assert wf.node_ids == ["masterdata", "extract", "clean", "report"]
    assert wf.edges == [("masterdata", "extract"), ("extract", "clean"), ("clean", "report")]
    assert [r.crosses_on_rerun for r in wf.relations] == [True, True, False]
    assert wf.task("report").params == {"top": 10}
    assert wf.task("clean").resource == "clean.py@2"


@pytest.mark.parametrize("doc", [design_example(), EVERY_FIELD,
                                 workflow_doc(tasks=[shell("only")])],
                         ids=["design-example", "every-field", "minimal"])
def test_load_then_save_gives_the_same_json(doc: dict[str, Any]) -> None:
    wf = load_workflow(doc)

    assert wf.to_dict() == doc
    assert json.loads(wf.to_json()) == doc
    assert load_workflow_text(wf.to_json()) == wf
    assert workflow_to_json(wf) == json.dumps(wf.to_dict())


def test_the_compact_json_of_relations_is_what_json_dumps_writes() -> None:
    wf = Workflow(name="odd", tasks=[Task(id="a", type="shell", command="true")], relations=[
        Relation('say "hi"', "back\\slash"), Relation("tab\tné", "☃", rerun=False),
        Relation("a", "b", rerun=True)])

    assert workflow_to_json(wf) == json.dumps(wf.to_dict())
    assert workflow_to_json(Workflow(name="none")) == json.dumps(Workflow(name="none").to_dict())


def test_every_field_is_valid_for_its_type() -> None:
    _, problems = check_document(EVERY_FIELD, ValidationContext(task_types=specs()))

    assert problems == []


def test_the_example_workflow_file_in_the_repository_round_trips_exactly() -> None:
    text = (REPO / "examples/daily_sales/daily_sales.workflow.json").read_text()

    assert load_workflow_text(text).to_json() == text


def test_the_readme_documents_the_design_example() -> None:
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```json\n(.*?)```", readme, re.S)

    assert any(json.loads(b) == design_example() for b in blocks)
    assert json.loads(DESIGN_EXAMPLE_TEXT) == design_example()


def test_absent_optional_fields_stay_absent() -> None:
    doc = {"name": "lean", "tasks": [{"id": "a", "type": "shell", "command": "true"}]}

    wf = load_workflow(doc)

    assert wf.to_dict() == doc
    assert wf.schedule is None and wf.failure_strategy is None and wf.tasks[0].retries is None
    # the effective defaults are properties, not written values
    assert wf.strategy == "continue"


def test_an_explicit_rerun_true_stays_and_an_absent_one_stays_absent() -> None:
    doc = workflow_doc(tasks=[shell("a"), shell("b"), shell("c")])
    doc["relations"] = [{"from": "a", "to": "b", "rerun": True}, {"from": "b", "to": "c"}]

    wf = load_workflow(doc)

    assert wf.to_dict()["relations"] == doc["relations"]
    assert [r.rerun for r in wf.relations] == [True, None]
    assert all(r.crosses_on_rerun for r in wf.relations)


def test_a_workflow_built_in_code_writes_only_what_was_set() -> None:
    wf = Workflow(name="built", tasks=[Task(id="t", type="shell", command="ls"),
                                       Task(id="u", type="sync", options={"target": "x"})],
                  relations=[Relation("t", "u", rerun=False)])

    assert wf.to_dict() == {"name": "built",
                            "tasks": [{"id": "t", "type": "shell", "command": "ls"},
                                      {"id": "u", "type": "sync", "target": "x"}],
                            "relations": [{"from": "t", "to": "u", "rerun": False}]}


# --- shape and type problems ----------------------------------------------------------------


@pytest.mark.parametrize(("doc", "path", "suggestion"), [
    ({**workflow_doc(), "schedul": {"cron": "* * * * *"}}, "schedul", "schedule"),
    ({**workflow_doc(), "max_paralel": 2}, "max_paralel", "max_parallel"),
    (workflow_doc(schedule={"cron": "0 2 * * *", "timezon": "UTC"}), "schedule.timezon",
     "timezone"),
    (workflow_doc(references=[{"id": "r", "workflow": "w", "timout": 5}]),
     "references[0].timout", "timeout"),
])
def test_an_unknown_field_is_a_problem_with_a_did_you_mean(doc: dict[str, Any], path: str,
                                                           suggestion: str) -> None:
    found = where(problems_of(doc))

    assert path in found
    assert f"unknown field {path.rsplit('.', 1)[-1]!r}" in found[path]
    assert f"did you mean {suggestion!r}?" in found[path]


def test_an_unknown_relation_field_is_reported_with_the_missing_one() -> None:
    doc = workflow_doc()
    doc["relations"] = [{"form": "a", "to": "b"}]

    found = where(problems_of(doc))

    assert "did you mean 'from'?" in found["relations[0].form"]
    assert found["relations[0].from"] == "is required"


def test_an_unknown_task_field_is_a_problem_with_a_did_you_mean() -> None:
    doc = workflow_doc(tasks=[shell("a", retires=2)])

    _, problems = check_document(doc, ValidationContext(task_types=specs()))

    found = where(problems)
    assert "unknown field 'retires'" in found["tasks[0].retires"]
    assert "did you mean 'retries'?" in found["tasks[0].retires"]


def test_an_unknown_field_far_from_any_known_one_has_no_suggestion() -> None:
    found = where(problems_of({**workflow_doc(), "zzz": 1}))

    assert found["zzz"] == "unknown field 'zzz'"


@pytest.mark.parametrize(("change", "path", "expected"), [
    ({"max_parallel": "4"}, "max_parallel", "must be a whole number"),
    ({"max_parallel": True}, "max_parallel", "must be a whole number"),
    ({"description": 7}, "description", "must be a string"),
    ({"params": {"region": ["eu"]}}, "params", "an object of string, number or boolean"),
    ({"schedule": "daily"}, "schedule", "must be an object"),
    ({"schedule": {"cron": "0 2 * * *", "max_active_runs": 1.5}}, "schedule.max_active_runs",
     "must be a whole number"),
    ({"tasks": {"id": "a"}}, "tasks", "must be a list"),
    ({"tasks": ["a"]}, "tasks[0]", "must be an object"),
    ({"tasks": [shell("a", retries="two")]}, "tasks[0].retries", "must be a whole number"),
    ({"tasks": [shell("a"), shell("b", timeout="600")]}, "tasks[1].timeout", "must be a number"),
    ({"tasks": [shell("a", files="x.xml")]}, "tasks[0].files", "must be a list of strings"),
    ({"references": [{"id": "r", "workflow": 3}]}, "references[0].workflow",
     "must be a string"),
    ({"relations": [{"from": "a", "to": "b", "rerun": "no"}]}, "relations[0].rerun",
     "must be true or false"),
])
def test_a_wrongly_typed_field_is_reported_with_its_path(change: dict[str, Any], path: str,
                                                         expected: str) -> None:
    doc = {**workflow_doc(), **change}

    found = where(problems_of(doc))

    assert path in found, found
    assert expected in found[path]


def test_the_problem_quotes_the_wrong_value() -> None:
    found = where(problems_of(workflow_doc(tasks=[shell("a", retries="two")])))

    assert found["tasks[0].retries"] == 'must be a whole number, not "two"'


def test_required_fields_are_reported_where_they_are_missing() -> None:
    doc = {"tasks": [{"id": "a"}, {"type": "shell", "command": "x"}],
           "references": [{"id": "r"}], "relations": [{"to": "a"}]}

    found = where(problems_of(doc))

    for path in ("name", "tasks[0].type", "tasks[1].id", "references[0].workflow",
                 "relations[0].from"):
        assert found.get(path) == "is required", path


def test_a_document_that_is_not_an_object_is_one_problem() -> None:
    assert problems_of(["not", "a", "workflow"]) == [
        Problem("", "a workflow file must hold a JSON object")]


def test_load_workflow_raises_with_every_problem() -> None:
    doc = workflow_doc(tasks=[shell("a", retries="two"), shell("b", timeout=[])])

    with pytest.raises(InvalidWorkflow) as raised:
        load_workflow(doc)

    assert [p.where for p in raised.value.problems] == ["tasks[0].retries", "tasks[1].timeout"]
    assert "workflow 'wf' is invalid" in str(raised.value)


def test_text_that_is_not_json_names_the_line_and_column() -> None:
    with pytest.raises(InvalidWorkflow) as raised:
        load_workflow_text('{\n  "name": "x",\n  oops\n}')

    (problem,) = raised.value.problems
    assert problem.message.startswith("not valid JSON")
    assert "line 3, column 3" in problem.message


# --- numbers JSON cannot hold --------------------------------------------------------------

NAN, INF = float("nan"), float("inf")


def test_nan_and_infinity_are_refused_in_every_numeric_field() -> None:
    # Python's json reads NaN, Infinity and 1e400; written back they are not JSON
    doc = workflow_doc(
        params={"top": NAN}, max_parallel=INF,
        references=[{"id": "r", "workflow": "up", "timeout": NAN}],
        tasks=[shell("a", timeout=NAN, retry_delay=-INF, retries=NAN, memory_mb=INF,
                     cpu_seconds=NAN, params={"rows": INF}),
               {"id": "q", "type": "sql", "code": "select 1", "limit": NAN}])

    found = where(problems_of(doc))

    for path, shown in [("params.top", "NaN"), ("references[0].timeout", "NaN"),
                        ("tasks[0].timeout", "NaN"), ("tasks[0].retry_delay", "-Infinity"),
                        ("tasks[0].params.rows", "Infinity"), ("tasks[1].limit", "NaN")]:
        assert found.get(path) == f"must be a finite number, not {shown}", (path, found)
    for path, shown in [("max_parallel", "Infinity"), ("tasks[0].retries", "NaN"),
                        ("tasks[0].memory_mb", "Infinity"), ("tasks[0].cpu_seconds", "NaN")]:
        assert found.get(path) == f"must be a whole number, not {shown}", (path, found)


def test_a_file_with_nan_does_not_load() -> None:
    text = '{"name": "nanwf", "tasks": [{"id": "a", "type": "shell", "command": "echo hi", ' \
           '"timeout": NaN}]}'

    with pytest.raises(InvalidWorkflow) as raised:
        load_workflow_text(text)

    assert raised.value.problems == [Problem("tasks[0].timeout",
                                             "must be a finite number, not NaN")]


def test_a_workflow_holding_nan_is_never_written_as_invalid_json() -> None:
    wf = Workflow(name="w", tasks=[Task(id="a", type="shell", command="true", timeout=NAN)])

    with pytest.raises(ValueError, match="not JSON compliant"):
        wf.to_json()
    with pytest.raises(ValueError, match="not JSON compliant"):
        workflow_to_json(wf)

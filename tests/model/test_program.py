"""The parameter check of library programs, pure: one problem per bad parameter, text
read as the declared type, lists as lists or comma-separated text."""

from __future__ import annotations

from jupyter_batch.errors import Problem
from jupyter_batch.model.program import (
    Param,
    Program,
    check_params,
    split_list,
    task_param,
    with_defaults,
)

PROGRAM = Program(
    name="demo", title="Demo", description="a program to check against",
    params=(
        Param("table", "string", "the table", required=True),
        Param("limit", "integer", "how many", default=10),
        Param("ratio", "number", "a share"),
        Param("dry_run", "boolean", "only say", default=False),
        Param("columns", "list", "some columns",
              check=lambda items: "no '*' here" if "*" in items else None),
        Param("mode", "string", "how", default="overwrite",
              choices=("overwrite", "append")),
    ),
    example={"table": "t"},
    rules=lambda v: [("limit", "is too big for a dry run")]
    if v["dry_run"] and v["limit"] > 100 else [],
)


def test_good_values_are_typed_whether_given_typed_or_as_text() -> None:
    typed, problems = check_params(PROGRAM, {
        "table": "orders", "limit": "5", "ratio": "0.5", "dry_run": "yes",
        "columns": "a, b,,c", "mode": "append"})

    assert problems == []
    assert typed == {"table": "orders", "limit": 5, "ratio": 0.5, "dry_run": True,
                     "columns": ["a", "b", "c"], "mode": "append"}
    assert check_params(PROGRAM, {"table": "t", "limit": 5, "ratio": 1, "dry_run": False,
                                  "columns": ["a"]})[0] == {
        "table": "t", "limit": 5, "ratio": 1, "dry_run": False, "columns": ["a"]}


def test_every_bad_parameter_has_its_own_problem() -> None:
    _, problems = check_params(PROGRAM, {
        "limit": "ten", "ratio": "nan", "dry_run": "maybe", "columns": ["a", "*"],
        "mode": "replace", "size": "red", "tabel": "x"})

    assert problems == [
        Problem("params.size", "unknown parameter of program demo (parameters: table, "
                                 "limit, ratio, dry_run, columns, mode)"),
        Problem("params.tabel", "unknown parameter of program demo (did you mean 'table'? "
                                "parameters: table, limit, ratio, dry_run, columns, mode)"),
        Problem("params.table", "is required: the table"),
        Problem("params.limit", 'must be a whole number, not "ten"'),
        Problem("params.ratio", 'must be a number, not "nan"'),
        Problem("params.dry_run", 'must be true or false, not "maybe"'),
        Problem("params.columns", "no '*' here"),
        Problem("params.mode", "must be one of overwrite, append, not 'replace'"),
    ]


def test_wrong_json_types_and_the_rules_once_each_value_is_good() -> None:
    _, problems = check_params(PROGRAM, {"table": 3, "limit": 2.5, "dry_run": 1,
                                         "columns": [1, 2]}, where="tasks[0].params")
    assert [p.where for p in problems] == ["tasks[0].params.table", "tasks[0].params.limit",
                                           "tasks[0].params.dry_run",
                                           "tasks[0].params.columns"]

    assert check_params(PROGRAM, {"table": "t", "dry_run": True, "limit": 500})[1] == [
        Problem("params.limit", "is too big for a dry run")]


def test_empty_values_are_not_given_and_a_required_one_may_come_from_elsewhere() -> None:
    typed, problems = check_params(PROGRAM, {"table": " ", "limit": None, "columns": ""},
                                   given_elsewhere=frozenset({"table"}))
    assert (typed, problems) == ({}, [])
    assert with_defaults(PROGRAM, typed) == {"table": None, "limit": 10, "ratio": None,
                                             "dry_run": False, "columns": None,
                                             "mode": "overwrite"}


def test_a_list_is_stored_as_text_a_task_param_can_hold_and_read_back() -> None:
    assert task_param(["a", "b"]) == "a,b"
    assert task_param(["x,y", "z"]) == '["x,y", "z"]'
    assert task_param(5) == 5
    for items in (["a", "b"], ["x,y", "z"], ["[not json", "b"]):
        assert split_list(str(task_param(items))) == items

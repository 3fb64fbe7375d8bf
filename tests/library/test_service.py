"""The library through the service: shipped programs registered as versions of read-only
``library/`` resources, copied into user resources, used as one-task workflows — and
their parameters checked before anything is saved or runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_batch import library
from jupyter_batch.errors import Conflict, InvalidInput, InvalidWorkflow, NotFound
from jupyter_batch.model.states import RunState
from jupyter_batch.service import BatchService
from tests.helpers import AUTHOR
from tests.library.support import report, run, seed, use

GOOD = {"source": "orders", "min_rows": 1}


def where(exc: pytest.ExceptionInfo[InvalidWorkflow]) -> list[str]:
    return [p.where for p in exc.value.problems]


# --- the read-only namespace ------------------------------------------------------------

def test_opening_a_store_registers_every_program_once(data_dir: Path,
                                                      service: BatchService) -> None:
    listed = {r.name: r for r in service.list_resources()}
    assert sorted(listed) == sorted(f"library/{n}.py" for n in library.NAMES)
    assert {(r.latest_version, r.namespace, r.format) for r in listed.values()} == {
        (1, "library", "py")}
    version, content = service.read_resource("library/file_sync.py")
    assert content == library.source("file_sync")
    assert version.author == "jupyter-batch"
    assert version.message.startswith("shipped with jupyter-batch ")

    with BatchService(data_dir=data_dir) as again:
        assert again.register_library() == []
        assert {r.latest_version for r in again.list_resources()} == {1}


def test_a_changed_shipped_program_adds_one_version(service: BatchService) -> None:
    # the store holds what an older jupyter-batch shipped
    service.store.resources.add("library/data_quality.py", b"# older\n", "old", "jupyter-batch")
    assert service.resource_versions("library/data_quality.py")[-1].version == 2

    added = service.register_library()

    assert [(a.version.name, a.version.version) for a in added] == [
        ("library/data_quality.py", 3)]
    assert service.read_resource("library/data_quality.py")[1] == library.source("data_quality")
    assert service.register_library() == []


def test_writing_into_the_library_is_refused_with_what_to_do(service: BatchService) -> None:
    with pytest.raises(Conflict, match=r"'library/file_sync.py' is in library/, the read-only "
                                       r"namespace of the built-in programs; to change the "
                                       r"program, copy it into a resource of your own: "
                                       r"jupyter batch library copy file_sync my_file_sync.py"):
        service.add_resource("library/file_sync.py", b"print('mine')\n")
    with pytest.raises(Conflict, match="give your resource a name without 'library/'"):
        service.add_resource("library/mine.py", b"print('mine')\n")
    with pytest.raises(InvalidInput, match="must be a plain file name"):
        service.add_resource("library/deep/mine.py", b"")
    assert [v.version for v in service.resource_versions("library/file_sync.py")] == [1]
    assert "library/mine.py" not in {r.name for r in service.list_resources()}


def test_a_program_copied_into_a_user_resource(service: BatchService) -> None:
    added = service.copy_library_program("table_export", "my_export.py")

    assert (added.version.name, added.version.version, added.version.author) == (
        "my_export.py", 1, AUTHOR)
    assert added.version.message == "copied from library/table_export.py@1"
    assert service.read_resource("my_export.py")[1] == library.source("table_export")
    assert {r.name: r.namespace for r in service.list_resources()}["my_export.py"] == "user"
    service.add_resource("my_export.py", b"# changed\n")  # the copy is the user's to change

    with pytest.raises(Conflict, match=r"resource 'my_export\.py' exists already"):
        service.copy_library_program("table_export", "my_export.py")
    with pytest.raises(Conflict, match="read-only namespace"):
        service.copy_library_program("table_export", "library/x.py")
    with pytest.raises(InvalidInput, match="a copy of a program is a python resource"):
        service.copy_library_program("table_export", "export.sh")
    with pytest.raises(NotFound, match="no library program 'nope' \\(programs: "):
        service.copy_library_program("nope", "nope.py")


# --- use the program ---------------------------------------------------------------------

def test_use_saves_a_ready_one_task_workflow(service: BatchService) -> None:
    info = service.use_library_program("data_quality", "orders_dq", {
        "source": "orders", "min_rows": "1", "unique_keys": ["id", "a,b"]})

    assert info.state == "draft"
    assert info.draft.to_dict() == {
        "name": "orders_dq", "description": library.program("data_quality").description,
        "tasks": [{"id": "data_quality", "type": "python",
                   "resource": "library/data_quality.py",
                   "params": {"source": "orders", "min_rows": 1,
                              "unique_keys": '["id", "a,b"]'},
                   "description": "Data quality checks"}]}


def test_use_with_a_schedule_and_publish(service: BatchService) -> None:
    info = service.use_library_program(
        "file_sync", "nightly_sync", {"source": "/data/in", "target": "/data/out"},
        schedule={"cron": "0 2 * * *", "timezone": "Europe/Berlin"}, publish=True)

    assert (info.state, info.latest_version) == ("published", 1)
    published = service.workflow_version("nightly_sync").definition
    assert published.tasks[0].resource == "library/file_sync.py@1"
    assert published.schedule is not None and published.schedule.cron == "0 2 * * *"
    assert [s.name for s in service.scheduled_workflows()] == ["nightly_sync"]


def test_bad_parameters_each_have_a_problem_and_nothing_is_saved(
        service: BatchService) -> None:
    with pytest.raises(InvalidWorkflow) as caught:
        service.use_library_program("data_quality", "dq", {
            "min_rows": "many", "max_null_ratio": "email=2", "colour": "red"},
            schedule={"cron": "0 25 * * *"})

    assert [(p.where, p.message) for p in caught.value.problems] == [
        ("params.colour", "unknown parameter of program data_quality (parameters: source, "
                          "source_options, min_rows, max_rows, max_null_ratio, unique_keys, "
                          "accepted_values)"),
        ("params.source", "is required: " + library.program("data_quality").params[0].help),
        ("params.min_rows", 'must be a whole number, not "many"'),
        ("params.max_null_ratio", "'email=2' must be column=ratio with a ratio from 0 to 1 "
                                  "(e.g. email=0.05)"),
        ("schedule.cron", "invalid cron expression '0 25 * * *': hour field '25' is not "
                          "valid")]
    assert service.list_workflows() == []


def test_use_refuses_an_existing_workflow_and_an_unknown_program(
        service: BatchService) -> None:
    use(service, "data_quality", GOOD, workflow="dq")
    before = service.get_workflow("dq").draft

    with pytest.raises(Conflict, match="a workflow named 'dq' exists already"):
        service.use_library_program("data_quality", "dq", {**GOOD, "min_rows": 5})
    with pytest.raises(NotFound, match="no library program 'nope'"):
        service.use_library_program("nope", "other", {})
    assert service.get_workflow("dq").draft == before
    assert [w.name for w in service.list_workflows()] == ["dq"]


# --- any workflow that runs a program ----------------------------------------------------

def program_task(**params: object) -> dict[str, object]:
    return {"id": "check", "type": "python", "resource": "library/data_quality.py",
            "params": params}


def test_saving_validating_and_pre_running_check_a_programs_params(
        service: BatchService) -> None:
    bad = {"name": "mine", "tasks": [{"id": "first", "type": "shell", "command": "true"},
                                     program_task(source="t", max_rows="lots", extra=1)]}

    with pytest.raises(InvalidWorkflow) as saving:
        service.save_workflow(bad)
    with pytest.raises(InvalidWorkflow) as prerunning:
        service.prerun(bad)
    assert where(saving) == where(prerunning) == ["tasks[1].params.extra",
                                                  "tasks[1].params.max_rows"]
    assert service.validate(bad)[1] == saving.value.problems
    assert service.list_workflows() == [] and service.list_runs()[1] == 0

    # a required parameter may come from the workflow's params, which reach every task
    shared = {"name": "mine", "params": {"source": "orders"},
              "tasks": [program_task(min_rows=1)]}
    assert service.validate(shared)[1] == []


def test_a_run_parameter_that_does_not_fit_fails_the_task_saying_which(
        service: BatchService) -> None:
    seed(service.warehouse_path, "CREATE TABLE orders (id INTEGER)",
         "INSERT INTO orders VALUES (1)")
    wf = use(service, "data_quality", GOOD)
    assert run(service, wf).state == RunState.SUCCESS

    overridden = run(service, wf, params={"min_rows": "two", "source": "orders"})

    assert overridden.state == RunState.FAILED
    assert report(service, overridden)[-2:] == [
        "error: the parameters do not fit program data_quality:",
        '  params.min_rows: must be a whole number, not "two"']


def test_a_copied_program_runs_as_the_users_own_script(service: BatchService) -> None:
    seed(service.warehouse_path, "CREATE TABLE orders (id INTEGER)",
         "INSERT INTO orders VALUES (1), (1)")
    service.copy_library_program("data_quality", "my_checks.py")
    service.save_workflow({"name": "mine", "tasks": [{
        "id": "check", "type": "python", "resource": "my_checks.py",
        "params": {"source": "orders", "unique_keys": "id"}}]})

    done = run(service, "mine")

    assert done.state == RunState.FAILED
    assert "  FAIL  id unique: 1 key occurs more than once: 1" in report(service, done)

"""The service: where state lives, saving only valid workflows, and publish pinning every
resource to the version that is latest at publish time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import nbformat
import pytest

from jupyter_batch.errors import Conflict, InvalidInput, InvalidWorkflow, NotFound
from jupyter_batch.model.workflow import load_workflow
from jupyter_batch.service import BatchService
from jupyter_batch.tasks.registry import specs
from jupyter_batch.validation import ValidationContext, validate
from tests.helpers import AUTHOR, design_example, master_sync, shell, workflow_doc


def pipeline(name: str = "pipe") -> dict[str, Any]:
    """A workflow whose tasks name resources without versions, in ``resource`` and
    ``files``, plus one explicit pin."""
    return workflow_doc(name, tasks=[
        {"id": "extract", "type": "shell", "resource": "extract.sh", "files": ["conf.xml"]},
        {"id": "clean", "type": "python", "resource": "clean.py",
         "files": ["conf.xml", "lib.zip@1"]},
        shell("done", "echo done"),
    ], relations=[("extract", "clean"), ("clean", "done")])


@pytest.fixture
def stocked(service: BatchService) -> BatchService:
    """The service with the resources ``pipeline()`` names: conf.xml has 2 versions."""
    service.add_resource("extract.sh", b"echo extract\n", "first")
    service.add_resource("clean.py", b"print('clean')\n", "first")
    service.add_resource("conf.xml", b"<conf v='1'/>", "first")
    service.add_resource("conf.xml", b"<conf v='2'/>", "second")
    service.add_resource("lib.zip", b"PK\x05\x06" + bytes(18), "first")
    service.add_resource("lib.zip", b"PK\x05\x06" + bytes(19), "second")
    return service


def resources_of(wf: Any) -> list[Any]:
    return [(t.id, t.resource, t.files) for t in wf.tasks]


# --- where state lives -----------------------------------------------------------------------


def test_state_lives_in_the_given_folder(service: BatchService, data_dir: Path) -> None:
    service.add_resource("a.py", b"1")

    assert service.data_dir == data_dir
    assert (data_dir / "batch.db").is_file()
    assert any((data_dir / "blobs").rglob("*"))


def test_jupyter_batch_dir_wins_over_the_configured_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_BATCH_DIR", str(tmp_path / "from-env"))

    svc = BatchService(data_dir=tmp_path / "configured")
    svc.close()

    assert svc.data_dir == tmp_path / "from-env"
    assert (tmp_path / "from-env" / "batch.db").is_file()
    assert not (tmp_path / "configured").exists()


def test_the_author_defaults_to_jupyter_batch_author(service: BatchService) -> None:
    assert service.add_resource("a.py", b"1").version.author == AUTHOR
    assert service.add_resource("a.py", b"2", author="zoe").version.author == "zoe"


def test_a_resource_is_read_by_reference(stocked: BatchService) -> None:
    assert stocked.read_resource("conf.xml")[1] == b"<conf v='2'/>"
    assert stocked.read_resource("conf.xml@1")[1] == b"<conf v='1'/>"
    with pytest.raises(InvalidInput, match="whole number from 1 up"):
        stocked.read_resource("conf.xml@latest")
    with pytest.raises(NotFound, match="has no version 3"):
        stocked.read_resource("conf.xml@3")


# --- saving ----------------------------------------------------------------------------------


def test_saving_a_valid_workflow_stores_its_draft(stocked: BatchService) -> None:
    info = stocked.save_workflow(pipeline())

    assert (info.name, info.state) == ("pipe", "draft")
    assert stocked.export_workflow("pipe").to_dict() == pipeline()


def test_saving_refuses_an_invalid_workflow_and_stores_nothing(stocked: BatchService) -> None:
    bad = workflow_doc("bad", tasks=[{"id": "p", "type": "python", "resource": "clean.py@9"}],
                       schedule={"cron": "0 25 * * *"})

    with pytest.raises(InvalidWorkflow) as raised:
        stocked.save_workflow(bad)

    assert {p.where for p in raised.value.problems} == {"tasks[0].resource", "schedule.cron"}
    assert stocked.list_workflows() == []


def test_an_invalid_save_leaves_the_existing_draft_alone(stocked: BatchService) -> None:
    stocked.save_workflow(pipeline())
    broken = pipeline()
    broken["relations"].append({"from": "done", "to": "extract"})

    with pytest.raises(InvalidWorkflow, match="relations form a cycle"):
        stocked.save_workflow(broken)

    assert stocked.export_workflow("pipe").to_dict() == pipeline()


def test_a_workflow_object_is_validated_like_a_file(stocked: BatchService) -> None:
    wf = load_workflow(workflow_doc(tasks=[shell("a"), shell("a")]))

    _, problems = stocked.validate(wf)

    assert [p.where for p in problems] == ["tasks[1].id"]
    with pytest.raises(InvalidWorkflow):
        stocked.save_workflow(wf)


def test_the_design_example_saves_once_its_resources_exist(service: BatchService) -> None:
    service.add_resource("clean.py", b"v1")
    service.add_resource("clean.py", b"v2")
    service.add_resource("report.ipynb", nbformat.writes(nbformat.v4.new_notebook()).encode())
    service.save_workflow(master_sync())
    service.publish("master_sync")

    service.save_workflow(design_example())
    published = service.publish("daily_sales").version.definition

    assert resources_of(published)[1:] == [("clean", "clean.py@2", None),
                                           ("report", "report.ipynb@1", None)]
    assert service.export_workflow("daily_sales").to_dict() == design_example()


# --- publishing ------------------------------------------------------------------------------


def test_publish_pins_every_resource_and_file_to_the_latest_version(
        stocked: BatchService) -> None:
    stocked.save_workflow(pipeline())

    result = stocked.publish("pipe", "first release")

    assert (result.created, result.version.version, result.version.author,
            result.version.message) == (True, 1, AUTHOR, "first release")
    assert resources_of(result.version.definition) == [
        ("extract", "extract.sh@1", ["conf.xml@2"]),
        ("clean", "clean.py@1", ["conf.xml@2", "lib.zip@1"]),
        ("done", None, None),
    ]
    # the stored version says the same, and the draft keeps its unpinned names
    assert stocked.workflow_versions("pipe")[0].definition == result.version.definition
    assert stocked.export_workflow("pipe").to_dict() == pipeline()
    assert stocked.export_workflow("pipe", 1) == result.version.definition


def test_a_new_resource_version_does_not_move_a_published_pin(stocked: BatchService) -> None:
    stocked.save_workflow(pipeline())
    stocked.publish("pipe")

    stocked.add_resource("clean.py", b"print('clean v2')\n", "second")

    assert stocked.export_workflow("pipe", 1).task("clean").resource == "clean.py@1"
    assert stocked.get_workflow("pipe").draft_changed is False

    second = stocked.publish("pipe", "pick up clean.py v2")

    assert (second.created, second.version.version) == (True, 2)
    assert second.version.definition.task("clean").resource == "clean.py@2"
    assert stocked.export_workflow("pipe", 1).task("clean").resource == "clean.py@1"


def test_publishing_an_unchanged_draft_creates_no_version(stocked: BatchService) -> None:
    stocked.save_workflow(pipeline())
    first = stocked.publish("pipe")

    again = stocked.publish("pipe", "nothing new")

    assert again.created is False
    assert again.version.version == first.version.version == 1
    assert [v.version for v in stocked.workflow_versions("pipe")] == [1]


def test_publishing_an_edited_draft_creates_the_next_version(stocked: BatchService) -> None:
    stocked.save_workflow(pipeline())
    stocked.publish("pipe")
    edited = pipeline()
    edited["description"] = "now with a description"
    stocked.save_workflow(edited)

    assert stocked.get_workflow("pipe").draft_changed is True
    assert stocked.publish("pipe").version.version == 2
    assert stocked.get_workflow("pipe").draft_changed is False


@pytest.mark.parametrize(("schedule", "where", "what"), [
    ({"once": "{past}"}, "schedule.once", "{past} is past"),
    ({"cron": "0 * * * *", "end": "{past}"}, "schedule.end",
     "no fire is left before its end {past}"),
])
def test_a_schedule_that_never_fires_again_is_saved_but_not_published(
        service: BatchService, schedule: dict[str, str], where: str, what: str) -> None:
    past = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat(timespec="seconds")
    schedule = {k: v.format(past=past) for k, v in schedule.items()}
    service.save_workflow(workflow_doc("late", schedule=schedule))

    with pytest.raises(InvalidWorkflow) as raised:
        service.publish("late")

    [problem] = raised.value.problems
    assert problem.where == where
    assert problem.message.startswith(what.format(past=past) + " (now is ")
    assert problem.message.endswith("): a schedule that never fires again cannot be "
                                    "published; give a later time, or remove the schedule "
                                    "to run the workflow by hand")
    info = service.get_workflow("late")
    assert (info.state, info.latest_version) == ("draft", None)


def test_publish_of_an_unknown_workflow_is_not_found(service: BatchService) -> None:
    with pytest.raises(NotFound, match="no workflow named 'ghost'"):
        service.publish("ghost")


def test_offline_only_from_published(stocked: BatchService) -> None:
    stocked.save_workflow(pipeline())

    with pytest.raises(Conflict, match="only a published workflow can be taken offline"):
        stocked.offline("pipe")

    stocked.publish("pipe")
    info = stocked.offline("pipe")
    assert (info.state, info.latest_version) == ("offline", 1)
    assert stocked.export_workflow("pipe", 1).task("clean").resource == "clean.py@1"


# --- references ------------------------------------------------------------------------------


def referencing(name: str, workflow: str, task: str | None = None) -> dict[str, Any]:
    """A workflow whose one task waits for ``workflow`` (or its ``task``)."""
    ref = {"id": "up", "workflow": workflow, **({"task": task} if task else {})}
    return workflow_doc(name, tasks=[shell("a")], references=[ref],
                        relations=[("up", "a")])


def published(service: BatchService, doc: dict[str, Any]) -> None:
    service.save_workflow(doc)
    service.publish(doc["name"])


def reference_problems(service: BatchService, doc: dict[str, Any]) -> list[str]:
    return [str(p) for p in service.validate(doc)[1]]


def test_a_reference_names_a_stored_workflow_and_a_near_miss_gets_a_suggestion(
        service: BatchService) -> None:
    published(service, workflow_doc("daily_sales", tasks=[shell("clean")]))

    assert reference_problems(service, referencing("r", "daily_sale")) == [
        "references[0].workflow: no workflow named 'daily_sale'; did you mean 'daily_sales'?"]
    assert reference_problems(service, referencing("r", "zzz")) == [
        "references[0].workflow: no workflow named 'zzz'"]
    with pytest.raises(InvalidWorkflow, match="no workflow named 'daily_sale'"):
        service.save_workflow(referencing("r", "daily_sale"))
    assert service.store.workflows.names() == ["daily_sales"]
    # a file checked without a store (no workflows to look up) is not refused for it
    assert validate(load_workflow(referencing("r", "zzz")),
                    ValidationContext(task_types=specs())) == []


def test_a_workflow_cannot_reference_itself(service: BatchService) -> None:
    published(service, workflow_doc("loop", tasks=[shell("a")]))

    assert reference_problems(service, referencing("loop", "loop")) == [
        "references[0].workflow: workflow 'loop' cannot reference itself: a run would wait "
        "for its own success"]


def test_a_referenced_workflow_must_have_been_published_and_may_be_offline(
        service: BatchService) -> None:
    """Only runs of a published version satisfy a reference (pre-runs do not), so a
    workflow that was never published would keep its referrers waiting; one taken offline
    has such runs and can come back, so it may stay referenced."""
    service.save_workflow(workflow_doc("upstream", tasks=[shell("clean")]))

    assert reference_problems(service, referencing("r", "upstream")) == [
        "references[0].workflow: workflow 'upstream' has never been published, so nothing "
        "can satisfy the reference (pre-runs do not); publish it first"]
    # checked against the draft, which publishing makes version 1
    assert reference_problems(service, referencing("r", "upstream", "dirty"))[1] == (
        "references[0].task: workflow 'upstream' has no task 'dirty' (its tasks: clean)")

    service.publish("upstream")
    service.save_workflow(referencing("r", "upstream", "clean"))
    service.offline("upstream")
    assert reference_problems(service, referencing("r", "upstream", "clean")) == []
    service.publish("r")


def test_a_referenced_task_is_one_of_the_published_version(service: BatchService) -> None:
    published(service, workflow_doc("daily_sales", tasks=[shell("extract"), shell("clean")],
                                    relations=[("extract", "clean")]))
    service.save_workflow(workflow_doc("daily_sales", tasks=[shell("extract"), shell("load")]))

    assert reference_problems(service, referencing("r", "daily_sales", "zz")) == [
        "references[0].task: version 1 of workflow 'daily_sales' has no task 'zz' (its tasks: "
        "extract, clean)"]
    # in the draft only: nothing runs it until it is published
    assert reference_problems(service, referencing("r", "daily_sales", "load")) == [
        "references[0].task: version 1 of workflow 'daily_sales' has no task 'load' (its "
        "tasks: extract, clean); its draft has it: publish 'daily_sales' first"]
    service.save_workflow(referencing("r", "daily_sales", "clean"))


def test_a_referenced_workflow_is_not_deleted_while_anything_references_it(
        service: BatchService) -> None:
    published(service, workflow_doc("upstream", tasks=[shell("a")]))
    published(service, referencing("user", "upstream"))
    service.save_workflow(referencing("drafted", "upstream"))
    service.offline("upstream")

    with pytest.raises(Conflict) as refused:
        service.delete_workflow("upstream")

    assert str(refused.value) == (
        "workflow 'upstream' is referenced by 'drafted' (draft), 'user' (draft, version 1); "
        "remove those references (publishing again where they are published) or delete "
        "those workflows first")
    assert service.get_workflow("upstream").state == "offline"
    # the version in service still waits for it after its draft stops referencing it
    service.delete_workflow("drafted")
    service.save_workflow(workflow_doc("user", tasks=[shell("a")]))
    with pytest.raises(Conflict, match=r"referenced by 'user' \(version 1\)"):
        service.delete_workflow("upstream")
    service.publish("user")
    service.delete_workflow("upstream")
    assert service.store.workflows.names() == ["user"]

"""Workflow drafts and immutable published versions, as the store keeps them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError

from jupyter_batch.errors import Conflict, NotFound
from jupyter_batch.model.workflow import Workflow, load_workflow
from jupyter_batch.store import Store
from tests.helpers import shell, workflow_doc

Sql = Callable[..., list[tuple[Any, ...]]]


def wf(name: str = "wf", **fields: Any) -> Workflow:
    return load_workflow(workflow_doc(name, **fields))


def test_saving_creates_a_draft(store: Store) -> None:
    draft = wf(description="first")

    info = store.workflows.save_draft(draft)

    assert (info.name, info.state, info.latest_version, info.description) == (
        "wf", "draft", None, "first")
    assert info.draft == draft
    assert info.draft_changed is True
    assert store.workflows.get("wf") == info
    assert store.workflows.versions("wf") == []


def test_saving_again_replaces_the_draft(store: Store) -> None:
    store.workflows.save_draft(wf())
    changed = wf(tasks=[shell("a", "echo changed")])

    store.workflows.save_draft(changed)

    assert store.workflows.get("wf").draft == changed
    assert [i.name for i in store.workflows.list()] == ["wf"]


def test_list_is_sorted_by_name(store: Store) -> None:
    for name in ("zeta", "alpha", "mid"):
        store.workflows.save_draft(wf(name))

    assert [i.name for i in store.workflows.list()] == ["alpha", "mid", "zeta"]


def test_publishing_creates_numbered_versions(store: Store) -> None:
    store.workflows.save_draft(wf())

    first = store.workflows.publish("wf", wf(), "ann", "first release")
    second = store.workflows.publish("wf", wf(tasks=[shell("a", "echo 2")]), "bob", "second")

    assert (first.created, first.version.version, first.version.author,
            first.version.message) == (True, 1, "ann", "first release")
    assert (second.created, second.version.version) == (True, 2)
    assert [v.version for v in store.workflows.versions("wf")] == [1, 2]
    info = store.workflows.get("wf")
    assert (info.state, info.latest_version) == ("published", 2)
    assert store.workflows.version("wf").version == 2


def test_one_version_is_read_by_number_and_a_missing_one_is_named(store: Store) -> None:
    store.workflows.save_draft(wf())
    with pytest.raises(NotFound, match=r"^workflow 'wf' has never been published$"):
        store.workflows.version("wf")
    for n in range(1, 4):
        store.workflows.publish("wf", wf(tasks=[shell("a", f"echo {n}")]), "ann", "")

    assert store.workflows.version("wf").definition.tasks[0].command == "echo 3"
    assert store.workflows.version("wf", 2).definition.tasks[0].command == "echo 2"
    with pytest.raises(NotFound, match=r"^workflow 'wf' has no version 7 \(latest is 3\)$"):
        store.workflows.version("wf", 7)
    with pytest.raises(NotFound, match=r"^no workflow named 'other'$"):
        store.workflows.version("other")


def test_publishing_the_same_definition_makes_no_new_version(store: Store) -> None:
    store.workflows.save_draft(wf())
    first = store.workflows.publish("wf", wf(), "ann", "")

    again = store.workflows.publish("wf", wf(), "bob", "again")

    assert again.created is False
    assert again.version == first.version
    assert len(store.workflows.versions("wf")) == 1


def test_published_versions_are_immutable(store: Store) -> None:
    original = wf(tasks=[shell("a", "echo one")])
    store.workflows.save_draft(original)
    published = store.workflows.publish("wf", original, "ann", "").version

    store.workflows.save_draft(wf(tasks=[shell("a", "echo two")]))
    store.workflows.publish("wf", wf(tasks=[shell("a", "echo two")]), "ann", "")
    store.workflows.offline("wf")

    assert store.workflows.version("wf", 1) == published
    assert store.workflows.version("wf", 1).definition == original
    assert store.workflows.version("wf", 2).definition.tasks[0].command == "echo two"


def test_draft_changed_follows_the_draft(store: Store) -> None:
    store.workflows.save_draft(wf())
    store.workflows.publish("wf", wf(), "ann", "")
    assert store.workflows.get("wf").draft_changed is False

    store.workflows.save_draft(wf(description="edited"))
    assert store.workflows.get("wf").draft_changed is True

    store.workflows.save_draft(wf())
    assert store.workflows.get("wf").draft_changed is False


def test_draft_changed_ignores_the_pins_publishing_added(store: Store) -> None:
    def doc(first: str, second: str) -> Workflow:
        return wf(tasks=[{"id": "a", "type": "python", "resource": first},
                         {"id": "b", "type": "python", "resource": second,
                          "files": ["conf.xml"]}])

    store.workflows.save_draft(doc("clean.py@1", "clean.py"))
    pinned = doc("clean.py@1", "clean.py@3")
    pinned.tasks[1].files = ["conf.xml@2"]
    store.workflows.publish("wf", pinned, "ann", "")

    info = store.workflows.get("wf")
    assert info.draft_changed is False
    assert info.draft == doc("clean.py@1", "clean.py")  # compared with the pins, not given them
    store.workflows.save_draft(doc("clean.py@2", "clean.py"))
    assert store.workflows.get("wf").draft_changed is True


def test_offline_only_from_published(store: Store) -> None:
    store.workflows.save_draft(wf())

    with pytest.raises(Conflict, match="workflow 'wf' is draft; only a published workflow"):
        store.workflows.offline("wf")

    store.workflows.publish("wf", wf(), "ann", "")
    assert store.workflows.offline("wf").state == "offline"
    with pytest.raises(Conflict, match="is offline"):
        store.workflows.offline("wf")


def test_publishing_again_brings_an_offline_workflow_back(store: Store) -> None:
    store.workflows.save_draft(wf())
    store.workflows.publish("wf", wf(), "ann", "")
    store.workflows.offline("wf")

    again = store.workflows.publish("wf", wf(), "ann", "")

    assert (again.created, again.version.version) == (False, 1)
    assert store.workflows.get("wf").state == "published"


def test_live_since_is_when_a_workflow_last_became_published(store: Store) -> None:
    """Going live — from draft, or from offline even without a new version — sets it;
    publishing a workflow that is live already (a new version or not) keeps it."""
    store.workflows.save_draft(wf())
    first = store.workflows.publish("wf", wf(), "ann", "").version.published_at
    assert store.workflows.live_since() == {"wf": first}

    store.workflows.publish("wf", wf(), "ann", "")
    second = store.workflows.publish("wf", wf(tasks=[shell("a", "echo 2")]), "ann", "")
    assert store.workflows.live_since() == {"wf": first}

    store.workflows.offline("wf")
    assert store.workflows.live_since() == {}
    store.workflows.publish("wf", wf(tasks=[shell("a", "echo 2")]), "ann", "")
    [back] = store.workflows.live_since().values()
    assert back > second.version.published_at


def test_unknown_workflows_and_versions_are_not_found(store: Store) -> None:
    for ask in (lambda: store.workflows.get("nope"),
                lambda: store.workflows.versions("nope"),
                lambda: store.workflows.publish("nope", wf("nope"), "ann", ""),
                lambda: store.workflows.offline("nope")):
        with pytest.raises(NotFound, match="no workflow named 'nope'"):
            ask()

    store.workflows.save_draft(wf())
    with pytest.raises(NotFound, match="workflow 'wf' has never been published"):
        store.workflows.version("wf")
    store.workflows.publish("wf", wf(), "ann", "")
    with pytest.raises(NotFound, match=r"workflow 'wf' has no version 4 \(latest is 1\)"):
        store.workflows.version("wf", 4)


def test_a_failed_publish_leaves_nothing_half_written(
        store: Store, sql: Sql, failing_inserts: Callable[[str], Callable[[], None]]) -> None:
    store.workflows.save_draft(wf())
    lift = failing_inserts("workflow_versions")

    with pytest.raises(DBAPIError, match="injected failure"):
        store.workflows.publish("wf", wf(), "ann", "")

    assert sql("SELECT count(*) FROM workflow_versions") == [(0,)]
    info = store.workflows.get("wf")
    assert (info.state, info.latest_version) == ("draft", None)

    lift()
    assert store.workflows.publish("wf", wf(), "ann", "").version.version == 1

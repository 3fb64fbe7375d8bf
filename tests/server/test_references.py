"""References across two workflows in one server: workflow B has a reference node
``upA`` standing for workflow A (or one task of A) for the same logical date.

The waiting side wakes on A's success (an event, not a polling loop): B's reference
timeout is far longer than A's run takes, so B ending in success proves it woke on the
event; nothing here measures wall-clock time.
"""

from __future__ import annotations

from typing import Any

from tests.helpers import shell, workflow_doc
from tests.server.api import BatchAPI, states, task_of

DAY = "2026-03-02"
OTHER_DAY = "2026-03-01"
#: long enough never to be reached when B wakes on A's success
LONG = 30


def workflow_b(timeout: float, task: str | None = None, name: str = "B") -> dict[str, Any]:
    reference: dict[str, Any] = {"id": "upA", "workflow": "A", "timeout": timeout}
    if task:
        reference["task"] = task
    return {**workflow_doc(name, tasks=[shell("b1", 'echo "b1 for $BATCH_DS"')]),
            "references": [reference], "relations": [{"from": "upA", "to": "b1"}]}


async def publish(api: BatchAPI, doc: dict[str, Any]) -> None:
    await api.create_workflow(doc)
    await api.publish(doc["name"])


def ref_states(api: BatchAPI, run_id: int) -> list[str]:
    """The states B's reference node went through, as events."""
    return [e["state"] for e in api.events.of_run(run_id)
            if e["kind"] == "task" and e["task_id"] == "upA"]


#: one try of B waking on A's success per date (stopping at the first that fails): with
#: the race below, all of them passing by luck is very unlikely
DATES = [f"2026-04-{day:02d}" for day in range(1, 26)]
#: B's reference timeout while it waits for A: long beside the tens of milliseconds
#: A's run takes, short enough that a B that missed its wake-up fails the test soon
WAIT = 2



async def test_b_waits_for_a_and_runs_when_a_succeeds_for_the_same_date(
        api: BatchAPI) -> None:
    """For the workflow A (B), and for its task a2 (B_task). The tries go one date at a
    time: any run's success wakes every waiting reference, so a B that missed its own A
    would be rescued by the next A."""
    await publish(api, workflow_doc("A", tasks=[shell("a1"), shell("a2")],
                                    relations=[("a1", "a2")]))
    await publish(api, workflow_b(WAIT))
    await publish(api, workflow_b(WAIT, task="a2", name="B_task"))
    for day in DATES:
        b_runs = [await api.trigger(name, day) for name in ("B", "B_task")]
        for run_id in b_runs:
            waiting = await api.wait_task(run_id, "upA", "waiting")
            assert "'A'" in waiting["message"] and day in waiting["message"]
        if day == DATES[0]:  # A succeeding for another date satisfies none of them
            assert (await api.wait_run(await api.trigger("A", OTHER_DAY)))["state"] == "success"
        assert (await api.wait_run(await api.trigger("A", day)))["state"] == "success"
        for run_id in b_runs:
            b = await api.wait_run(run_id)
            assert states(b) == {"upA": "success", "b1": "success"}, b
            assert ref_states(api, run_id) == ["waiting", "success"]
            # no longer "waiting for workflow 'A' ..."
            assert task_of(b, "upA")["message"].endswith(f"succeeded for {day}"), b
            log = await api.ok("GET", f"/runs/{run_id}/tasks/b1/log")
            assert f"b1 for {day}" in log["text"]


async def test_a_reference_already_met_lets_b_run_at_once(api: BatchAPI) -> None:
    await publish(api, workflow_doc("A", tasks=[shell("a1")]))
    await publish(api, workflow_b(LONG))
    assert (await api.wait_run(await api.trigger("A", DAY)))["state"] == "success"
    b = await api.wait_run(await api.trigger("B", DAY))
    assert states(b) == {"upA": "success", "b1": "success"}


async def test_a_reference_that_times_out_fails_b(api: BatchAPI) -> None:
    await publish(api, workflow_doc("A", tasks=[shell("a1")]))
    await publish(api, workflow_b(timeout=1))
    b = await api.wait_run(await api.trigger("B", DAY))
    assert b["state"] == "failed"
    assert states(b) == {"upA": "failed", "b1": "upstream_failed"}
    assert task_of(b, "upA")["message"] == f"workflow 'A' did not succeed for {DAY} within 1 s"
    assert ref_states(api, b["id"]) == ["waiting", "failed"]


async def test_a_task_reference_that_times_out_names_the_task(api: BatchAPI) -> None:
    await publish(api, workflow_doc("A", tasks=[shell("a1")]))
    await publish(api, workflow_b(timeout=1, task="a1"))

    b = await api.wait_run(await api.trigger("B", DAY))

    assert task_of(b, "upA")["message"] == (
        f"task 'a1' of workflow 'A' did not succeed for {DAY} within 1 s")


async def test_a_prerun_of_a_does_not_satisfy_the_reference(api: BatchAPI) -> None:
    await publish(api, workflow_doc("A", tasks=[shell("a1")]))
    await publish(api, workflow_b(timeout=2))
    b_run = await api.trigger("B", DAY)
    await api.wait_task(b_run, "upA", "waiting")
    prerun_id = await api.prerun("A", DAY)
    prerun = await api.wait_run(prerun_id)
    assert (prerun["trigger"], prerun["state"]) == ("prerun", "success")
    b = await api.wait_run(b_run)
    assert b["state"] == "failed"
    assert ref_states(api, b_run) == ["waiting", "failed"]
    # the pre-run had succeeded while B still waited
    events = api.events.items
    prerun_done = events.index(api.events.of_run(prerun_id)[-1])
    ref_failed = events.index(api.events.of_run(b_run)[-3])
    assert (events[ref_failed]["task_id"], events[ref_failed]["state"]) == ("upA", "failed")
    assert prerun_done < ref_failed


async def test_a_task_reference_is_met_even_if_the_rest_of_a_fails(api: BatchAPI) -> None:
    await publish(api, workflow_doc("A", tasks=[shell("a2"), shell("a3", "exit 3")],
                                    relations=[("a2", "a3")]))
    await publish(api, workflow_b(timeout=2, task="a2"))
    b_run = await api.trigger("B", DAY)
    await api.wait_task(b_run, "upA", "waiting")
    a = await api.wait_run(await api.trigger("A", DAY))
    assert states(a) == {"a2": "success", "a3": "failed"}
    b = await api.wait_run(b_run)
    # a B started afterwards finds the reference met at once ...
    later = await api.wait_run(await api.trigger("B", DAY))
    assert states(later) == {"upA": "success", "b1": "success"}
    # ... and so must have the B that was waiting for it
    assert states(b) == {"upA": "success", "b1": "success"}


async def test_a_task_reference_waits_saying_which_task(api: BatchAPI) -> None:
    await publish(api, workflow_doc("A", tasks=[shell("a1"), shell("a2")],
                                    relations=[("a1", "a2")]))
    await publish(api, workflow_b(LONG, task="a2"))
    b_run = await api.trigger("B", DAY)

    waiting = await api.wait_task(b_run, "upA", "waiting")

    assert waiting["message"] == f"waiting for task 'a2' of workflow 'A' to succeed for {DAY}"
    assert (await api.wait_run(await api.trigger("A", DAY)))["state"] == "success"
    assert (await api.wait_run(b_run))["state"] == "success"


async def test_a_reference_is_checked_against_the_store(api: BatchAPI) -> None:
    await publish(api, workflow_doc("A", tasks=[shell("a1"), shell("a2")]))

    reply = await api.ok("POST", "/workflows/validate", workflow_b(LONG, task="zz"))
    assert reply["problems"] == [{"where": "references[0].task", "message": (
        "version 1 of workflow 'A' has no task 'zz' (its tasks: a1, a2)")}]
    error = await api.fails(400, "POST", "/workflows", workflow_b(LONG, task="zz"))
    assert "no task 'zz'" in error["message"]
    assert await api.workflow_names() == ["A"]



async def test_a_referenced_workflow_is_not_deleted(api: BatchAPI) -> None:
    await publish(api, workflow_doc("A", tasks=[shell("a1"), shell("a2")]))
    await publish(api, workflow_b(LONG, task="a2"))
    await api.ok("POST", "/workflows/A/offline")

    error = await api.fails(409, "DELETE", "/workflows/A")

    assert error["reason"] == "conflict"
    assert "referenced by 'B' (draft: task 'a2', version 1: task 'a2')" in error["message"]
    assert await api.workflow_names() == ["A", "B"]


async def test_a_version_that_drops_a_task_another_workflow_waits_for_is_refused(
        api: BatchAPI) -> None:
    await publish(api, workflow_doc("A", tasks=[shell("a1"), shell("a2")]))
    await publish(api, workflow_b(LONG, task="a2"))
    await api.ok("PUT", "/workflows/A", workflow_doc("A", tasks=[shell("a1")]))

    error = await api.fails(409, "POST", "/workflows/A/publish", {"message": "drop a2"})

    assert error["message"] == ("version 2 of 'A' would drop tasks that 'B' (draft: task "
                                "'a2', version 1: task 'a2') wait for; change those "
                                "references first")
    assert (await api.ok("GET", "/workflows/A"))["latest_version"] == 1
    # a version that keeps a2 is fine
    await api.ok("PUT", "/workflows/A", workflow_doc("A", tasks=[shell("a2"), shell("a3")]))
    await api.ok("POST", "/workflows/A/publish", {"message": "keeps a2"})

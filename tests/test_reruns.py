"""Reruns and recovery touch exactly the tasks they should: a task alone, a task and what
lies below it up to relations whose ``rerun`` switch is off, and what failed. A preview
names that set and runs nothing; earlier attempts and their logs stay readable.

The DAG used throughout::

    a -> b -> c      (b -> c has rerun: false)
    a -> d
         b -> e
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from jupyter_batch.errors import Conflict, NotFound
from jupyter_batch.model.records import Run
from jupyter_batch.model.states import RunState, TaskState
from tests import engine_fixtures
from tests.engine_fixtures import Runs, flow, q, shell, wait_for

runs = engine_fixtures.runs

S = TaskState
NODES = ["a", "b", "c", "d", "e"]


def dag(b_fails_on: int | None = None) -> dict[str, Any]:
    """The DAG above; each task prints ``<task> try <attempt>``; ``b`` fails on attempt
    ``b_fails_on``."""
    def task(node: str) -> dict[str, Any]:
        command = f'echo "{node} try $BATCH_ATTEMPT"'
        if node == "b" and b_fails_on is not None:
            command += f'; test "$BATCH_ATTEMPT" -ne {b_fails_on}'
        return shell(node, command)

    return flow("reruns", [task(n) for n in NODES],
                [("a", "b"), ("b", "c", False), ("a", "d"), ("b", "e")])


def snapshot(run: Run) -> dict[str, tuple[Any, ...]]:
    """What a task run looks like from outside: state, attempt, when it ran."""
    return {t.task_id: (t.state, t.attempt, t.started_at, t.ended_at, t.exit_code)
            for t in run.tasks}


def rerun_touched(runs: Runs, run_id: int, start: int) -> set[str]:
    """The tasks some change was reported for since change number ``start``."""
    return {c.task_id for c in runs.changes[start:]
            if c.run_id == run_id and hasattr(c, "task_id")}


@pytest.fixture
def finished(runs: Runs) -> Run:
    run = runs.run(dag())
    assert run.state == RunState.SUCCESS
    assert runs.attempts(run) == dict.fromkeys(NODES, 1)
    return run


# --- preview --------------------------------------------------------------------------------

def test_a_preview_names_exactly_the_tasks_and_runs_nothing(runs: Runs, finished: Run) -> None:
    before, mark = snapshot(finished), len(runs.changes)
    preview = runs.service.rerun

    assert preview(finished.id, "b", downstream=False, preview=True).tasks == ["b"]
    assert preview(finished.id, "b", downstream=True, preview=True).tasks == ["b", "e"]
    assert preview(finished.id, "a", downstream=True, preview=True).tasks == ["a", "b", "d", "e"]
    assert preview(finished.id, "c", downstream=True, preview=True).tasks == ["c"]
    plan = runs.service.recover(finished.id, preview=True)
    assert (plan.tasks, plan.started) == ([], False)
    assert not preview(finished.id, "b", downstream=True, preview=True).started

    after = runs.get(finished.id)
    assert snapshot(after) == before
    assert after.state == RunState.SUCCESS
    assert runs.changes[mark:] == []


# --- rerun ----------------------------------------------------------------------------------

def test_rerun_alone_runs_only_that_task(runs: Runs, finished: Run) -> None:
    before, mark = snapshot(finished), len(runs.changes)

    plan = runs.rerun(finished.id, "b", downstream=False)
    run = runs.finish(finished.id)

    assert (plan.tasks, plan.started) == (["b"], True)
    assert run.state == RunState.SUCCESS
    assert runs.attempts(run) == {"a": 1, "b": 2, "c": 1, "d": 1, "e": 1}
    after = snapshot(run)
    assert {n: after[n] for n in NODES if n != "b"} == {n: before[n] for n in NODES if n != "b"}
    assert rerun_touched(runs, run.id, mark) == {"b"}
    assert [a.attempt for a in runs.task_attempts(run.id, "b")] == [1, 2]
    assert "b try 1" in runs.lines(run.id, "b", attempt=1)
    assert "b try 2" in runs.lines(run.id, "b", attempt=2)
    assert "b try 2" in runs.lines(run.id, "b"), "the latest attempt by default"


def test_rerun_with_downstream_stops_at_a_relation_switched_off(runs: Runs, finished: Run) -> None:
    before, mark = snapshot(finished), len(runs.changes)

    plan = runs.rerun(finished.id, "b", downstream=True)
    run = runs.finish(finished.id)

    assert plan.tasks == ["b", "e"]
    assert run.state == RunState.SUCCESS
    assert runs.attempts(run) == {"a": 1, "b": 2, "c": 1, "d": 1, "e": 2}
    after = snapshot(run)
    assert {n: after[n] for n in "acd"} == {n: before[n] for n in "acd"}
    assert rerun_touched(runs, run.id, mark) == {"b", "e"}
    # e ran after b's new attempt had succeeded
    b2 = runs.task_attempts(run.id, "b")[-1]
    e2 = runs.task_attempts(run.id, "e")[-1]
    assert b2.ended_at is not None and e2.started_at is not None
    assert b2.ended_at <= e2.started_at


def test_a_rerun_task_still_receives_its_upstreams_outputs(runs: Runs) -> None:
    run = runs.run(flow("outs", [
        shell("a", 'echo rows=42 >> "$BATCH_OUTPUT"'),
        shell("b", 'echo "b got $BATCH_PARAM_A_ROWS"'),
    ], [("a", "b")]))

    runs.rerun(run.id, "b")
    run = runs.finish(run.id)

    assert runs.attempts(run) == {"a": 1, "b": 2}
    assert "b got 42" in runs.lines(run.id, "b", attempt=2)


def test_rerunning_a_failed_task_alone_leaves_its_downstream_as_it_was(runs: Runs) -> None:
    run = runs.run(dag(b_fails_on=1))
    assert runs.states(run) == {"a": "success", "b": "failed", "c": "upstream_failed",
                                "d": "success", "e": "upstream_failed"}

    runs.rerun(run.id, "b", downstream=False)
    run = runs.finish(run.id)

    assert runs.states(run) == {"a": "success", "b": "success", "c": "upstream_failed",
                                "d": "success", "e": "upstream_failed"}
    assert run.state == RunState.FAILED, "tasks that never ran keep the run failed"


def test_a_rerun_gets_the_tasks_retries_afresh(runs: Runs, tmp_path: Path) -> None:
    """Retries count within one drive: a rerun of a task that used up its retries may
    retry again (attempts 3 and 4 here), as a fresh run of it would."""
    tries = tmp_path / "tries"
    # fails on attempts 1, 2 and 3; succeeds on the 4th
    count = f'echo x >> {q(tries)}; test "$(wc -l < {q(tries)})" -ge 4'
    run = runs.run(flow("flaky", [shell("f", count, retries=1)]))
    assert (run.task("f").state, run.task("f").attempt) == (TaskState.FAILED, 2)

    runs.rerun(run.id, "f")
    run = runs.finish(run.id)

    assert (run.task("f").state, run.task("f").attempt) == (TaskState.SUCCESS, 4)
    attempts = runs.service.task_attempts(run.id, "f")
    assert [a.state for a in attempts] == [TaskState.FAILED] * 3 + [TaskState.SUCCESS]
    assert "retrying (1 of 2 attempts used)" in (attempts[2].message or "")


# --- recover --------------------------------------------------------------------------------

def test_recover_reruns_what_failed_and_what_never_ran_because_of_it(runs: Runs) -> None:
    run = runs.run(dag(b_fails_on=1))
    assert run.state == RunState.FAILED
    before, mark = snapshot(run), len(runs.changes)

    assert runs.service.recover(run.id, preview=True).tasks == ["b", "c", "e"]
    assert snapshot(runs.get(run.id)) == before, "the preview ran nothing"
    plan = runs.recover(run.id)
    run = runs.finish(run.id)

    assert (plan.tasks, plan.started) == (["b", "c", "e"], True)
    assert run.state == RunState.SUCCESS
    assert runs.attempts(run) == {"a": 1, "b": 2, "c": 1, "d": 1, "e": 1}
    assert {n: snapshot(run)[n] for n in "ad"} == {n: before[n] for n in "ad"}
    assert rerun_touched(runs, run.id, mark) == {"b", "c", "e"}
    first = runs.task_attempts(run.id, "b")[0]
    assert (first.attempt, first.state) == (1, S.FAILED)
    assert "b try 1" in runs.lines(run.id, "b", attempt=1)


def test_recover_crosses_only_relations_switched_on(runs: Runs) -> None:
    run = runs.run(dag(b_fails_on=2))
    runs.rerun(run.id, "b")
    run = runs.finish(run.id)
    assert runs.states(run) == {"a": "success", "b": "failed", "c": "success",
                                "d": "success", "e": "success"}
    mark = len(runs.changes)

    assert runs.service.recover(run.id, preview=True).tasks == ["b", "e"]
    runs.recover(run.id)
    run = runs.finish(run.id)

    assert run.state == RunState.SUCCESS
    assert runs.attempts(run) == {"a": 1, "b": 3, "c": 1, "d": 1, "e": 2}
    assert rerun_touched(runs, run.id, mark) == {"b", "e"}
    assert [a.state for a in runs.task_attempts(run.id, "b")] == [S.SUCCESS, S.FAILED, S.SUCCESS]


def test_recover_finishes_a_stopped_run(runs: Runs) -> None:
    started = runs.scratch / "started"
    run_id = runs.start(flow("resume", [
        shell("a", f'if [ "$BATCH_ATTEMPT" = 1 ]; then touch {q(started)}; sleep 30; fi'),
        shell("b", "echo b ran"),
    ], [("a", "b")]))
    wait_for(started.exists, "task a to start")
    assert runs.stop(run_id).state == RunState.CANCELLED

    assert runs.service.recover(run_id, preview=True).tasks == ["a", "b"]
    runs.recover(run_id)
    run = runs.finish(run_id)

    assert run.state == RunState.SUCCESS
    assert runs.attempts(run) == {"a": 2, "b": 1}


# --- what cannot be rerun -------------------------------------------------------------------

def test_a_run_still_running_cannot_be_rerun_or_recovered(runs: Runs) -> None:
    started = runs.scratch / "started"
    run_id = runs.start(flow("busy", [shell("a", f"touch {q(started)}; sleep 30"),
                                      shell("b", "true")]))
    wait_for(started.exists, "task a to start")
    wait_for(lambda: runs.get(run_id).state == RunState.RUNNING, "the run to be stored running")

    with pytest.raises(Conflict, match="still running"):
        runs.service.rerun(run_id, "b")
    with pytest.raises(Conflict):
        runs.service.recover(run_id)
    # a preview is only a question, and may be asked at any time
    assert runs.service.rerun(run_id, "a", preview=True).tasks == ["a"]

    runs.stop(run_id)


def test_rerun_of_an_unknown_task_or_run_is_not_found(runs: Runs, finished: Run) -> None:
    with pytest.raises(NotFound, match="nope"):
        runs.service.rerun(finished.id, "nope")
    with pytest.raises(NotFound, match="nope"):
        runs.service.rerun(finished.id, "nope", preview=True)
    with pytest.raises(NotFound):
        runs.service.rerun(finished.id + 100, "a")
    with pytest.raises(NotFound):
        runs.service.recover(finished.id + 100)
    assert snapshot(runs.get(finished.id)) == snapshot(finished)


def rerun_twice_at_once(runs: Runs, run_id: int, task: str) -> list[str]:
    """Two threads ask for the same rerun at the same moment; what each was told."""
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def rerun() -> None:
        barrier.wait()
        try:
            runs.service.rerun(run_id, task)
            outcomes.append("started")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=rerun) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_two_reruns_at_once_start_only_one(runs: Runs) -> None:
    # b takes long enough that the second request surely comes while the first runs
    finished = runs.run(flow("slow", [shell("a", "true"), shell("b", "sleep 0.3")],
                             [("a", "b")]))
    for _ in range(3):
        outcomes = rerun_twice_at_once(runs, finished.id, "b")
        wait_for(lambda: not runs.service.engine.active_runs(), "the reruns to end")
        runs.service.wait_run(finished.id)
        assert sorted(outcomes) == ["conflict", "started"]


def test_a_rerun_with_latest_uses_the_fixed_script_and_says_so_in_the_log(runs: Runs) -> None:
    svc = runs.service
    svc.add_resource("step.sh", b"echo broken; exit 1\n")
    run = runs.run(flow("fixme", [{"id": "step", "type": "shell", "resource": "step.sh"},
                                  shell("after", "true")], [("step", "after")]))
    assert run.task("step").state == S.FAILED
    svc.add_resource("step.sh", b"echo fixed\n")

    pinned = svc.rerun(run.id, "step", downstream=True)
    again = runs.finish(pinned.run_id)
    assert again.task("step").state == S.FAILED  # the run's pinned version 1 again

    svc.rerun(run.id, "step", downstream=True, latest=True)
    fixed = runs.finish(run.id)
    assert fixed.state == RunState.SUCCESS
    assert fixed.definition.task("step").resource == "step.sh@2"
    log = svc.read_log(run.id, "step").text
    assert "# resources: step.sh@2" in log and "fixed" in log
    assert "# resources: step.sh@1" in svc.read_log(run.id, "step", attempt=1).text

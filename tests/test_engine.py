"""The engine drives runs: the task state machine (success, failure, retry, timeout, stop),
both failure strategies, the run's and the pools' limits on concurrency as they are
observed by the tasks themselves, and values passed from task to task.

Every run goes through the real service: real subprocesses, a real SQLite store in
tmp_path; ``Runs.finish`` checks each reported transition against ``can_move`` and the
stored states against the last reported ones. Every test runs twice: with the tasks run
locally, and on the workers of a Dask cluster.
"""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest

from jupyter_batch.engine import Pool
from jupyter_batch.errors import InvalidWorkflow
from jupyter_batch.model.changes import TaskChange
from jupyter_batch.model.states import RunState, TaskState
from tests import engine_fixtures
from tests.engine_fixtures import (
    Runs,
    flow,
    intervals,
    max_overlap,
    python,
    q,
    shell,
    timed_task,
    wait_file,
    wait_for,
)

runs = engine_fixtures.runs_on_each_executor

S = TaskState


def states_of(changes: list[TaskChange]) -> list[str]:
    return [c.state.value for c in changes]


def most_running_reported(runs: Runs, run_ids: list[int]) -> int:
    """The most tasks the engine itself reported running at once."""
    running: set[tuple[int, str]] = set()
    most = 0
    for change in runs.changes:
        if not isinstance(change, TaskChange) or change.run_id not in run_ids:
            continue
        key = (change.run_id, change.task_id)
        if change.state == S.RUNNING:
            running.add(key)
        else:
            running.discard(key)
        most = max(most, len(running))
    return most


# --- the state machine --------------------------------------------------------------------

def test_a_task_that_exits_0_succeeds_and_its_run_with_it(runs: Runs) -> None:
    run = runs.run(flow("ok", [shell("a", 'echo "hello from $BATCH_TASK"')]))

    assert run.state == RunState.SUCCESS
    assert run.trigger == "prerun" and run.workflow_version is None
    assert run.logical_date == "2026-11-20"
    a = run.task("a")
    assert (a.state, a.attempt, a.exit_code, a.message) == (S.SUCCESS, 1, 0, None)
    assert a.started_at is not None and a.ended_at is not None and a.started_at <= a.ended_at
    assert states_of(runs.task_changes(run.id, "a")) == ["queued", "running", "success"]
    assert [c.state for c in runs.run_changes(run.id)] == [RunState.RUNNING, RunState.SUCCESS]
    assert "hello from a" in runs.lines(run.id, "a")
    [attempt] = runs.task_attempts(run.id, "a")
    assert (attempt.attempt, attempt.state, attempt.exit_code) == (1, S.SUCCESS, 0)


def test_a_failing_task_fails_with_its_exit_code_and_the_strategy_continue_goes_on(
        runs: Runs) -> None:
    run = runs.run(flow("cont", [
        shell("a", 'echo "boom $((1+1))" >&2; exit 3'),
        shell("b", "echo never"),
        shell("c", "echo never"),
        shell("x", "echo independent"),
        shell("y", "echo below independent"),
    ], [("a", "b"), ("b", "c"), ("x", "y")], failure_strategy="continue"))

    assert run.state == RunState.FAILED
    assert runs.states(run) == {"a": "failed", "b": "upstream_failed", "c": "upstream_failed",
                                "x": "success", "y": "success"}
    a = run.task("a")
    assert a.exit_code == 3
    assert "exited with code 3" in (a.message or "")
    assert "boom 2" in runs.lines(run.id, "a"), "stderr goes to the task's log"
    assert runs.attempts(run) == {"a": 1, "b": 0, "c": 0, "x": 1, "y": 1}
    assert run.task("b").message and "upstream" in run.task("b").message


def test_a_retried_task_records_every_attempt_and_waits_its_delay(runs: Runs) -> None:
    delay = 0.3
    run = runs.run(flow("retry", [
        shell("r", 'echo "try=$BATCH_ATTEMPT"; test "$BATCH_ATTEMPT" -ge 3',
              retries=3, retry_delay=delay),
    ]))

    assert run.state == RunState.SUCCESS
    r = run.task("r")
    assert (r.state, r.attempt, r.exit_code) == (S.SUCCESS, 3, 0)
    attempts = runs.task_attempts(run.id, "r")
    assert [(a.attempt, a.state, a.exit_code) for a in attempts] == [
        (1, S.FAILED, 1), (2, S.FAILED, 1), (3, S.SUCCESS, 0)]
    for earlier, later in itertools.pairwise(attempts):
        assert earlier.ended_at is not None and later.started_at is not None
        assert earlier.ended_at <= later.started_at

    changes = runs.task_changes(run.id, "r")
    assert states_of(changes) == ["queued", "running", "retrying", "queued", "running",
                                  "retrying", "queued", "running", "success"]
    assert [c.attempt for c in changes if c.state == S.RUNNING] == [1, 2, 3]
    for i, change in enumerate(changes):
        if change.state == S.RETRYING:
            assert "retrying" in (change.message or "")
            # the delay is a lower bound: the task is queued again no sooner
            assert changes[i + 1].at - change.at >= timedelta(seconds=delay * 0.9)
    # every attempt has its own log
    for n in (1, 2, 3):
        assert f"try={n}" in runs.lines(run.id, "r", attempt=n)


def test_a_task_out_of_retries_fails(runs: Runs) -> None:
    run = runs.run(flow("noretry", [shell("r", "exit 1", retries=1)]))

    assert run.state == RunState.FAILED
    assert (run.task("r").state, run.task("r").attempt) == (S.FAILED, 2)
    assert [a.state for a in runs.task_attempts(run.id, "r")] == [S.FAILED, S.FAILED]


def test_a_task_over_its_timeout_is_ended_and_fails_as_timed_out(runs: Runs) -> None:
    run = runs.run(flow("slow", [shell("t", "echo started; sleep 30", timeout=0.5),
                                 shell("after", "true")], [("t", "after")]))

    assert run.state == RunState.FAILED
    t = run.task("t")
    assert t.state == S.FAILED
    assert "timed out" in (t.message or "")
    assert t.exit_code != 0
    assert run.task("after").state == S.UPSTREAM_FAILED
    [attempt] = runs.task_attempts(run.id, "t")
    assert attempt.state == S.FAILED and "timed out" in (attempt.message or "")


def test_stop_cancels_the_running_task_and_everything_not_yet_started(runs: Runs) -> None:
    started = runs.scratch / "started"
    run_id = runs.start(flow("stoppable", [
        shell("a", f"touch {q(started)}; sleep 30"),
        shell("b", "echo never"),
        shell("r", "exit 1", retries=3, retry_delay=30),
    ], [("a", "b")]))
    wait_for(started.exists, "task a to start")
    wait_for(lambda: runs.reached(run_id, "r", S.RETRYING), "task r to wait for a retry")

    run = runs.stop(run_id)

    assert run.state == RunState.CANCELLED
    assert runs.states(run) == {"a": "cancelled", "b": "cancelled", "r": "cancelled"}
    assert run.task("a").attempt == 1 and run.task("b").attempt == 0
    assert run.task("r").attempt == 1, "the retry waiting for its delay never started"
    [attempt] = runs.task_attempts(run_id, "a")
    assert attempt.state == S.CANCELLED and attempt.ended_at is not None


def test_stop_cancels_tasks_two_levels_below_the_running_one(runs: Runs) -> None:
    started = runs.scratch / "started"
    run_id = runs.start(flow("deep", [
        shell("a", f"touch {q(started)}; sleep 30"),
        shell("b", "true"),
        shell("c", "true"),
    ], [("a", "b"), ("b", "c")]))
    wait_for(started.exists, "task a to start")

    run = runs.stop(run_id)

    assert runs.states(run) == {"a": "cancelled", "b": "cancelled", "c": "cancelled"}


def test_the_strategy_stop_cancels_what_has_not_started_and_lets_running_tasks_end(
        runs: Runs) -> None:
    long_started, release = runs.scratch / "long-started", runs.scratch / "release"
    run_id = runs.start(flow("halt", [
        shell("long", f"touch {q(long_started)}; {wait_file(release)}; echo \"long $((6*7))\""),
        shell("a", f"{wait_file(long_started)}; exit 1"),
        shell("z", "echo never"),
        shell("x", "echo never"),
    ], [("long", "x")], failure_strategy="stop", max_parallel=2))
    wait_for(lambda: runs.reached(run_id, "a", S.FAILED), "task a to fail")
    release.touch()

    run = runs.finish(run_id)

    assert run.state == RunState.FAILED
    assert runs.states(run) == {"long": "success", "a": "failed", "z": "cancelled",
                                "x": "cancelled"}
    assert runs.attempts(run) == {"long": 1, "a": 1, "z": 0, "x": 0}
    assert "long 42" in runs.lines(run_id, "long")


def test_the_strategy_stop_cancels_tasks_two_levels_below_those_not_started(
        runs: Runs) -> None:
    run = runs.run(flow("halt2", [
        shell("a", "exit 1"),
        shell("x", "true"),
        shell("y", "true"),
    ], [("x", "y")], failure_strategy="stop", max_parallel=1))

    assert runs.states(run) == {"a": "failed", "x": "cancelled", "y": "cancelled"}


# --- limits on concurrency ------------------------------------------------------------------

def test_max_parallel_caps_how_many_tasks_of_a_run_run_at_once(runs: Runs) -> None:
    folder = runs.scratch
    names = [f"t{i}" for i in range(6)]
    run = runs.run(flow("capped", [timed_task(n, folder) for n in names], max_parallel=2))

    assert run.state == RunState.SUCCESS
    assert max_overlap(intervals(folder, names)) == 2
    assert most_running_reported(runs, [run.id]) == 2


def test_a_pool_with_one_slot_runs_its_tasks_one_at_a_time(runs: Runs) -> None:
    pooled = runs.reopen(pools={"default": Pool(slots=4), "narrow": Pool(slots=1)})
    folder = runs.scratch
    narrow, wide = ["n1", "n2", "n3"], ["d1", "d2", "d3"]
    run = pooled.run(flow("pools", [timed_task(n, folder, pool="narrow") for n in narrow] +
                          [timed_task(n, folder) for n in wide]))

    assert run.state == RunState.SUCCESS
    assert max_overlap(intervals(folder, narrow)) == 1
    assert max_overlap(intervals(folder, narrow + wide)) >= 2, "the run did run in parallel"


def test_pool_slots_are_shared_by_every_run(runs: Runs) -> None:
    pooled = runs.reopen(pools={"default": Pool(slots=4), "narrow": Pool(slots=1)})
    folder = runs.scratch
    first = pooled.start(flow("one", [timed_task(n, folder, hold=0.2, pool="narrow")
                                      for n in ("p1", "p2")]))
    # the second takes the pool from the workflow instead of its tasks
    second = pooled.start(flow("two", [timed_task(n, folder, hold=0.2) for n in ("q1", "q2")],
                               pool="narrow"))

    assert pooled.finish(first).state == RunState.SUCCESS
    assert pooled.finish(second).state == RunState.SUCCESS
    assert max_overlap(intervals(folder, ["p1", "p2", "q1", "q2"])) == 1


def test_a_pools_timeout_applies_to_tasks_that_set_none(runs: Runs) -> None:
    pooled = runs.reopen(pools={"default": Pool(slots=4), "short": Pool(slots=2, timeout=0.5)})
    run = pooled.run(flow("timeouts", [
        shell("pool_limit", "sleep 30", pool="short"),
        shell("own_limit", "sleep 30", pool="short", timeout=0.2),
        shell("no_limit", "sleep 0.6"),
    ]))

    assert runs.states(run) == {"pool_limit": "failed", "own_limit": "failed",
                                "no_limit": "success"}
    assert "timed out after 0.5 s" in (run.task("pool_limit").message or "")
    assert "timed out after 0.2 s" in (run.task("own_limit").message or "")


def test_a_task_in_an_unknown_pool_is_refused_before_anything_runs(runs: Runs) -> None:
    with pytest.raises(InvalidWorkflow) as caught:
        runs.service.prerun(flow("nopool", [shell("a", "true", pool="nowhere")]))

    assert [(p.where, "nowhere" in p.message) for p in caught.value.problems] == [
        ("tasks[0].pool", True)]
    assert runs.service.list_runs()[1] == 0


# --- values between tasks -------------------------------------------------------------------

def test_outputs_are_stored_and_reach_the_tasks_below(runs: Runs) -> None:
    run = runs.run(flow("values", [
        shell("a", 'echo rows=42 >> "$BATCH_OUTPUT"; echo "note=a b=c" >> "$BATCH_OUTPUT"'),
        shell("b", 'echo "b got rows=$BATCH_PARAM_A_ROWS"; '
                   'echo "leak=${BATCH_PARAM_X_SECRET-unset}"'),
        python("c", "import sys; print('c got', sys.argv[1:])", args=["${a.rows}", "${a.note}"]),
        shell("d", 'echo "d got rows=$BATCH_PARAM_A_ROWS"'),
        shell("x", 'echo secret=1 >> "$BATCH_OUTPUT"'),
    ], [("a", "b"), ("a", "c"), ("b", "d")]))

    assert run.state == RunState.SUCCESS
    assert run.task("a").outputs == {"rows": "42", "note": "a b=c"}
    assert run.task("x").outputs == {"secret": "1"}
    assert run.task("b").outputs == {}
    assert "b got rows=42" in runs.lines(run.id, "b")
    assert "leak=unset" in runs.lines(run.id, "b"), "only upstream tasks' outputs arrive"
    assert "c got ['42', 'a b=c']" in runs.lines(run.id, "c")
    assert "d got rows=42" in runs.lines(run.id, "d"), "outputs reach the whole downstream"


def test_a_python_task_publishes_outputs_with_set_output(runs: Runs) -> None:
    run = runs.run(flow("helper", [
        python("p", "from jupyter_batch.task import set_output\n"
                    "set_output('rows', 7)\nset_output('ok', True)\n"),
        shell("q", 'echo "q got $BATCH_PARAM_P_ROWS $BATCH_PARAM_P_OK"'),
        python("r", "import sys; print('r got', sys.argv[1])", args=["${p.rows}"]),
    ], [("p", "q"), ("p", "r")]))

    assert run.state == RunState.SUCCESS
    assert run.task("p").outputs == {"rows": "7", "ok": "true"}
    assert "q got 7 true" in runs.lines(run.id, "q")
    assert "r got 7" in runs.lines(run.id, "r")


def test_a_task_says_why_it_failed_in_its_message(runs: Runs) -> None:
    """``set_failure`` (or a line in ``$BATCH_FAILURE``) becomes the failed attempt's
    message beside its exit code; a task that says nothing keeps the exit code alone,
    and a reason said by a task that then succeeds is not shown."""
    run = runs.run(flow("reasons", [
        python("p", "import sys\nfrom jupyter_batch.task import set_failure\n"
                    "set_failure('no rows\\nfor 2026-11-20')\nsys.exit(2)"),
        shell("s", 'echo "bad header in sales.csv" > "$BATCH_FAILURE"; exit 3', retries=1),
        shell("quiet", "exit 4"),
        shell("fine", 'echo "never mind" > "$BATCH_FAILURE"'),
    ], failure_strategy="continue"))

    assert runs.states(run) == {"p": "failed", "s": "failed", "quiet": "failed",
                                "fine": "success"}
    assert re.fullmatch(r"exited with code 2 after [\d.]+ s: no rows for 2026-11-20",
                        run.task("p").message or ""), run.task("p").message
    assert (run.task("s").message or "").endswith(": bad header in sales.csv")
    retried = [c.message for c in runs.task_changes(run.id, "s") if c.state == S.RETRYING]
    assert len(retried) == 1 and "bad header in sales.csv; retrying" in retried[0]
    assert re.fullmatch(r"exited with code 4 after [\d.]+ s", run.task("quiet").message or "")
    assert run.task("fine").message is None


def test_outputs_of_a_failed_attempt_are_not_kept(runs: Runs) -> None:
    run = runs.run(flow("partial", [
        shell("a", 'echo "try=$BATCH_ATTEMPT" >> "$BATCH_OUTPUT"; test "$BATCH_ATTEMPT" -ge 2',
              retries=1),
        shell("b", 'echo "b got $BATCH_PARAM_A_TRY"'),
    ], [("a", "b")]))

    assert run.task("a").outputs == {"try": "2"}
    assert "b got 2" in runs.lines(run.id, "b")


def test_a_running_task_tells_when_its_log_grows(runs: Runs) -> None:
    go = runs.scratch / "go"
    run_id = runs.start(flow("chatty", [shell("talk", f"echo hello; {wait_file(go)}; echo bye")]))
    wait_for(lambda: bool(runs.logs_grew), "a log event while the task runs")
    assert runs.service.get_run(run_id).task("talk").state == S.RUNNING
    go.touch()
    run = runs.finish(run_id)

    assert run.task("talk").state == S.SUCCESS
    grew = runs.logs_grew
    assert {(c.run_id, c.task_id, c.attempt) for c in grew} == {(run_id, "talk", 1)}
    sizes = [c.size for c in grew]
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes)  # told only on growth

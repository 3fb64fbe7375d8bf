"""The local executor: a task is a process group, and what ends the task ends the whole
tree; limits from the task or its pool are enforced by the OS. Every test runs twice:
locally, and on a Dask worker, which runs the task with this same code (so a timeout or
a stop there ends the tree on the worker).

Processes are real; "gone" is observed with ``kill(pid, 0)`` / ``/proc`` (a zombie left for
an init to reap counts as gone), polled for a bounded time.
"""

from __future__ import annotations

import shlex

import pytest

from jupyter_batch.engine import Pool
from jupyter_batch.model.states import RunState, TaskState
from tests import engine_fixtures
from tests.engine_fixtures import (
    Runs,
    assert_gone,
    flow,
    process_gone,
    python,
    q,
    read_pid,
    shell,
)

runs = engine_fixtures.runs_on_each_executor

S = TaskState


def grandchild_command(pid_file: str) -> str:
    """``sh -c 'sleep 300 & echo $! > PID_FILE; wait'``: the task's shell starts a shell
    that starts a ``sleep`` and waits for it."""
    inner = f"sleep 300 & echo $! > {q(pid_file)}; wait"
    return f"sh -c {shlex.quote(inner)}"


# --- the whole tree ends --------------------------------------------------------------------

def test_a_timeout_ends_the_tasks_grandchildren(runs: Runs) -> None:
    pid_file = runs.scratch / "grandchild.pid"
    run = runs.run(flow("tree", [shell("t", grandchild_command(str(pid_file)), timeout=1)]))

    assert run.task("t").state == S.FAILED
    assert "timed out" in (run.task("t").message or "")
    assert_gone(read_pid(pid_file))


def test_stop_ends_the_tasks_grandchildren(runs: Runs) -> None:
    pid_file = runs.scratch / "grandchild.pid"
    run_id = runs.start(flow("tree", [shell("t", grandchild_command(str(pid_file)))]))
    pid = read_pid(pid_file)
    assert not process_gone(pid)

    run = runs.stop(run_id)

    assert run.state == RunState.CANCELLED
    assert run.task("t").state == S.CANCELLED
    assert_gone(pid)


def test_a_child_left_running_by_a_task_that_succeeded_is_ended(runs: Runs) -> None:
    pid_file = runs.scratch / "leftover.pid"
    run = runs.run(flow("leftover", [
        shell("t", f"sleep 300 & echo $! > {q(pid_file)}; echo leaving"),
    ]))

    assert run.task("t").state == S.SUCCESS
    assert_gone(read_pid(pid_file))


def test_a_task_that_ignores_sigterm_is_killed_on_timeout(runs: Runs) -> None:
    pid_file = runs.scratch / "stubborn.pid"
    run = runs.run(flow("stubborn", [
        shell("t", f"trap '' TERM; echo $$ > {q(pid_file)}; "
                   "while true; do sleep 0.1; done", timeout=0.5),
    ]))

    assert run.task("t").state == S.FAILED
    assert "timed out" in (run.task("t").message or "")
    assert_gone(read_pid(pid_file))


# --- limits ---------------------------------------------------------------------------------

ALLOCATE = "x = bytearray({size}); print('allocated', len(x))"


def test_a_memory_cap_fails_a_task_that_allocates_more(runs: Runs) -> None:
    run = runs.run(flow("memory", [
        python("big", ALLOCATE.format(size=1024 ** 3), memory_mb=200),
        python("small", ALLOCATE.format(size=10 * 1024 ** 2), memory_mb=200),
    ]))

    big, small = run.task("big"), run.task("small")
    assert big.state == S.FAILED and big.exit_code not in (0, None)
    assert "MemoryError" in runs.lines(run.id, "big")
    assert f"allocated {1024 ** 3}" not in runs.lines(run.id, "big")
    assert small.state == S.SUCCESS
    assert f"allocated {10 * 1024 ** 2}" in runs.lines(run.id, "small")


def test_a_pools_memory_cap_applies_to_its_tasks(runs: Runs) -> None:
    pooled = runs.reopen(pools={"default": Pool(slots=2), "small": Pool(slots=2, memory_mb=200)})
    run = pooled.run(flow("poolmem", [
        python("capped", ALLOCATE.format(size=1024 ** 3), pool="small"),
        python("free", ALLOCATE.format(size=300 * 1024 ** 2)),
    ]))

    assert run.task("capped").state == S.FAILED
    assert "MemoryError" in runs.lines(run.id, "capped")
    assert run.task("free").state == S.SUCCESS


def test_a_cpu_time_cap_kills_a_busy_task(runs: Runs) -> None:
    run = runs.run(flow("cpu", [python("busy", "while True: pass", cpu_seconds=1)]))

    busy = run.task("busy")
    assert busy.state == S.FAILED
    assert busy.exit_code is not None and busy.exit_code < 0, "ended by a signal"
    assert any(sig in (busy.message or "") for sig in ("SIGXCPU", "SIGKILL"))


def test_a_cpu_time_cap_leaves_a_light_task_alone(runs: Runs) -> None:
    run = runs.run(flow("cpu", [python("light", "print(sum(range(1000)))", cpu_seconds=5)]))

    assert run.task("light").state == S.SUCCESS
    assert "499500" in runs.lines(run.id, "light")


@pytest.mark.parametrize("limits", [{}, {"memory_mb": 200}])
def test_a_program_that_cannot_start_fails_the_task_with_a_message(
        runs: Runs, limits: dict[str, int]) -> None:
    run = runs.run(flow("missing", [
        {"id": "m", "type": "app", "args": ["no-such-program-xyz"], **limits},
    ]))

    m = run.task("m")
    assert m.state == S.FAILED
    assert m.exit_code != 0
    assert "No such file or directory" in runs.log(run.id, "m")

"""Runs through the service, as every front end sees them: pre-run and run-now, logs read
while a task runs and after, stop, and what a restarted service does with runs whose
driving process died (marked interrupted, then recovered)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from jupyter_batch import engine as engine_module
from jupyter_batch.errors import Conflict, NotFound
from jupyter_batch.model.changes import RunChange, TaskChange
from jupyter_batch.model.states import RunState, TaskState
from jupyter_batch.model.workflow import load_workflow
from tests import engine_fixtures
from tests.engine_fixtures import (
    DAY,
    Runs,
    assert_gone,
    flow,
    process_gone,
    q,
    read_pid,
    shell,
    wait_file,
    wait_for,
)

runs = engine_fixtures.runs


@pytest.fixture
def store_url(db_url: str | None) -> str | None:
    """Runs are kept the same on SQLite and on PostgreSQL."""
    return db_url

S = TaskState


# --- starting runs --------------------------------------------------------------------------

def test_run_now_runs_the_latest_published_version(runs: Runs) -> None:
    runs.service.save_workflow(flow("pub", [shell("a", 'echo "v=$BATCH_PARAM_V"')],
                                    params={"v": "one"}))
    with pytest.raises(Conflict, match="publish"):
        runs.service.trigger("pub")
    runs.service.publish("pub")
    runs.service.save_workflow(flow("pub", [shell("a", 'echo "v=$BATCH_PARAM_V"')],
                                    params={"v": "draft"}))

    run = runs.finish(runs.trigger("pub", day="2026-01-31"))

    assert run.state == RunState.SUCCESS
    assert (run.trigger, run.workflow_version, run.logical_date) == ("manual", 1, "2026-01-31")
    assert "v=one" in runs.lines(run.id, "a")


def test_a_prerun_runs_the_saved_draft_without_publishing_it(runs: Runs) -> None:
    runs.service.save_workflow(flow("draft", [shell("a", 'echo "v=$BATCH_PARAM_V"')],
                                    params={"v": "draft"}))

    run = runs.finish(runs.start("draft", params={"v": "given"}))

    assert (run.trigger, run.workflow_version) == ("prerun", None)
    assert run.params == {"v": "given"}
    assert "v=given" in runs.lines(run.id, "a")
    assert runs.service.get_workflow("draft").state == "draft"


# --- logs -----------------------------------------------------------------------------------

def test_a_log_is_readable_while_the_task_runs_and_whole_after(runs: Runs) -> None:
    go = runs.scratch / "go"
    # the shell computes what it prints, so the command line at the top of the log
    # never contains it
    run_id = runs.start(flow("logs", [
        shell("t", f'echo "first $((40+2))"; {wait_file(go)}; echo "second $((50+5))"'),
    ]))

    early = runs.log_when(run_id, "t", lambda c: "first 42" in c.text, "the first line")
    assert not early.complete
    assert "second 55" not in early.text
    assert (early.attempt, early.offset) == (1, 0)
    go.touch()
    runs.finish(run_id)

    whole = runs.service.read_log(run_id, "t")
    assert whole.complete
    assert "first 42" in whole.text and "second 55" in whole.text
    rest = runs.service.read_log(run_id, "t", offset=early.next_offset)
    assert rest.offset == early.next_offset
    assert "second 55" in rest.text and "first 42" not in rest.text
    assert early.text + rest.text == whole.text
    assert rest.next_offset == whole.next_offset
    end = runs.service.read_log(run_id, "t", offset=whole.next_offset)
    assert (end.text, end.next_offset, end.complete) == ("", whole.next_offset, True)


def test_asking_for_a_log_that_does_not_exist_is_not_found(runs: Runs) -> None:
    run = runs.run(flow("nolog", [shell("a", "exit 1"), shell("b", "true")], [("a", "b")]))

    with pytest.raises(NotFound, match="has not run"):
        runs.service.read_log(run.id, "b")
    with pytest.raises(NotFound, match="attempt 2"):
        runs.service.read_log(run.id, "a", attempt=2)
    with pytest.raises(NotFound):
        runs.service.read_log(run.id, "nope")
    with pytest.raises(NotFound):
        runs.service.read_log(run.id + 100, "a")


# --- stopping -------------------------------------------------------------------------------

def test_a_finished_run_cannot_be_stopped(runs: Runs) -> None:
    run = runs.run(flow("done", [shell("a", "true")]))

    with pytest.raises(Conflict, match="already ended"):
        runs.service.stop_run(run.id)


def test_closing_the_service_stops_its_runs_and_their_processes(runs: Runs) -> None:
    other = runs.reopen()
    pid_file = runs.scratch / "task.pid"
    run_id = other.start(flow("closing", [shell("a", f"echo $$ > {q(pid_file)}; exec sleep 30"),
                                          shell("b", "true")], [("a", "b")]))
    pid = read_pid(pid_file)

    other.close()

    run = runs.get(run_id)
    assert run.state == RunState.CANCELLED
    assert runs.states(run) == {"a": "cancelled", "b": "cancelled"}
    assert_gone(pid)


# --- a process that died with runs in flight ------------------------------------------------

def dead_owner() -> str:
    """The owner tag of a process that has ended."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return f"{socket.gethostname()}:{proc.pid}"


def plant_running_run(runs: Runs, doc: dict[str, Any], owner: str, log: Path) -> int:
    """A run stored as a dead driver left it: running, its first task in attempt 1."""
    store = runs.service.store.runs
    run_id = store.create(workflow=load_workflow(doc), version=None, logical_date=DAY,
                          trigger="manual", params={}, owner=owner)
    now = datetime.now(timezone.utc)
    first = doc["tasks"][0]["id"]
    store.apply([
        RunChange(run_id, RunState.RUNNING, now),
        TaskChange(run_id, first, TaskState.QUEUED, 0, now),
        TaskChange(run_id, first, TaskState.RUNNING, 1, now, attempt_started=True,
                   log_path=str(log)),
    ])
    return run_id


def test_a_run_whose_driver_died_is_marked_interrupted_and_can_be_recovered(
        runs: Runs) -> None:
    lost_log = runs.scratch / "lost.log"
    lost_log.write_text("output of the lost attempt\n")
    owner = dead_owner()
    run_id = plant_running_run(runs, flow("orphan", [
        shell("a", 'echo "a try $BATCH_ATTEMPT"'),
        shell("b", 'echo "b try $BATCH_ATTEMPT"'),
    ], [("a", "b")]), owner, lost_log)

    restarted = runs.reopen()

    run = restarted.get(run_id)
    assert run.state == RunState.INTERRUPTED
    assert owner in (run.message or "")
    assert run.task("a").state == S.FAILED
    assert "interrupted" in (run.task("a").message or "")
    assert run.task("b").attempt == 0, "b never ran"
    [lost] = restarted.task_attempts(run_id, "a")
    assert (lost.attempt, lost.state) == (1, S.FAILED)
    assert restarted.service.mark_interrupted() == [], "a run is marked once"

    assert restarted.service.recover(run_id, preview=True).tasks == ["a", "b"]
    restarted.recover(run_id)
    run = restarted.finish(run_id)

    assert run.state == RunState.SUCCESS
    assert restarted.attempts(run) == {"a": 2, "b": 1}
    assert [a.state for a in restarted.task_attempts(run_id, "a")] == [S.FAILED, S.SUCCESS]
    old = restarted.service.read_log(run_id, "a", attempt=1)
    assert old.text == "output of the lost attempt\n" and old.complete
    assert "a try 2" in restarted.lines(run_id, "a")


def test_runs_of_live_or_remote_drivers_are_left_alone(runs: Runs) -> None:
    doc = flow("alive", [shell("a", "true")])
    log = runs.scratch / "x.log"
    with subprocess.Popen(["sleep", "30"]) as sleeper:
        live = plant_running_run(runs, doc, f"{socket.gethostname()}:{sleeper.pid}", log)
        remote = plant_running_run(runs, doc, "some-other-host.example:1", log)

        assert runs.reopen().get(live).state == RunState.RUNNING
        sleeper.kill()
        sleeper.wait()

    assert runs.reopen().get(live).state == RunState.INTERRUPTED
    assert runs.get(remote).state == RunState.RUNNING


DRIVER = """\
import json, sys
from jupyter_batch.service import BatchService
svc = BatchService(data_dir=sys.argv[1], db_url=sys.argv[4] or None)
run_id = svc.prerun(json.loads(sys.argv[2]), day=sys.argv[3])
print(run_id, flush=True)
svc.wait_run(run_id)
"""


def test_runs_a_script_started_are_seen_through_when_it_ends(runs: Runs) -> None:
    """A script that starts a pre-run and a backfill and ends without waiting: its
    process stays until they end, and they end as they would have with a wait (before,
    the engine's thread pool refused work once the interpreter began to exit, and the
    runs were left interrupted by an internal error)."""
    doc = flow("fan", [shell("start", "true")] + [shell(f"t{i}", "sleep 0.2")
                                                    for i in range(6)],
               [("start", f"t{i}") for i in range(6)], max_parallel=4)
    script = """\
import json, sys
from jupyter_batch.service import BatchService
svc = BatchService(data_dir=sys.argv[1], db_url=sys.argv[3] or None)
svc.save_workflow(json.loads(sys.argv[2]))
svc.publish("fan")
svc.prerun("fan", day="2026-01-01")
svc.backfill("fan", "2026-01-01", "2026-01-03")
"""
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_BATCH_DIR"}
    done = subprocess.run([sys.executable, "-c", script, str(runs.data_dir), json.dumps(doc),
                           runs.db_url or ""], env=env, capture_output=True, text=True,
                          timeout=120)

    assert (done.returncode, done.stderr) == (0, "")
    finished = runs.service.list_runs(workflow="fan")[0]
    assert sorted((r.trigger, r.logical_date, r.state.value) for r in finished) == [
        ("backfill", "2026-01-01", "success"), ("backfill", "2026-01-02", "success"),
        ("backfill", "2026-01-03", "success"), ("prerun", "2026-01-01", "success")]


@contextlib.contextmanager
def crashed_mid_run(runs: Runs, pid_file: Path) -> Iterator[tuple[int, int]]:
    """Drive a run in another process and SIGKILL that process while task ``a`` (attempt
    1) runs; yield (run id, pid of a's process). Whatever a left running is killed after."""
    doc = flow("crash", [
        shell("a", f'if [ "$BATCH_ATTEMPT" = 1 ]; then echo $$ > {q(pid_file)}; '
                   'exec sleep 30; fi; echo "a try $BATCH_ATTEMPT"'),
        shell("b", 'echo "b try $BATCH_ATTEMPT"'),
    ], [("a", "b")])
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_BATCH_DIR"}
    argv = [sys.executable, "-c", DRIVER, str(runs.data_dir), json.dumps(doc), DAY,
            runs.db_url or ""]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env) as driver:
        assert driver.stdout is not None
        run_id = int(driver.stdout.readline())
        pid = read_pid(pid_file)
        wait_for(lambda: runs.get(run_id).task("a").state == S.RUNNING,
                 "the driver to store a as running")
        driver.kill()
        driver.wait()
    try:
        yield run_id, pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)


def test_a_run_survives_the_crash_of_its_driving_process(runs: Runs) -> None:
    with crashed_mid_run(runs, runs.scratch / "a.pid") as (run_id, _):
        restarted = runs.reopen()

        assert restarted.get(run_id).state == RunState.INTERRUPTED
        assert restarted.get(run_id).task("a").state == S.FAILED
        restarted.recover(run_id)
        run = restarted.finish(run_id)

        assert run.state == RunState.SUCCESS
        assert restarted.attempts(run) == {"a": 2, "b": 1}
        assert "a try 2" in restarted.lines(run_id, "a")


def test_the_leading_scheduler_marks_a_run_whose_driver_died_without_a_restart(
        runs: Runs) -> None:
    """A server beside a `jupyter batch run` that is killed: its scheduler (leading, as
    the only one) marks the run interrupted and ends its task at its next renewal of the
    lease, not only when some process starts or takes the lead."""
    runs.service.start_scheduler()
    wait_for(lambda: runs.service.scheduler_status().leads_here, "the scheduler to lead")
    with crashed_mid_run(runs, runs.scratch / "a.pid") as (run_id, pid):
        wait_for(lambda: runs.get(run_id).state == RunState.INTERRUPTED,
                 "the run to be marked interrupted", within=60)
        assert runs.get(run_id).task("a").state == S.FAILED
        assert_gone(pid, within=5.0)


def test_a_crashed_runs_task_processes_are_ended_when_it_is_marked_interrupted(
        runs: Runs) -> None:
    with crashed_mid_run(runs, runs.scratch / "a.pid") as (run_id, pid):
        assert not process_gone(pid)

        restarted = runs.reopen()

        assert restarted.get(run_id).state == RunState.INTERRUPTED
        assert_gone(pid, within=2.0)


# --- a bug in the engine ---------------------------------------------------------------------

def test_a_drive_that_fails_leaves_a_run_that_can_be_recovered(
        runs: Runs, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug raised while a run goes (injected here into the variables of task b) ends
    what it left running and marks the run interrupted, its unfinished tasks failed:
    recover then finishes it."""
    pid_file = runs.scratch / "c.pid"
    real = engine_module.builtin_variables

    def broken_for_b(ctx: Any, task_id: str, attempt: int) -> dict[str, str]:
        if task_id == "b":
            raise RuntimeError("injected bug")
        return real(ctx, task_id, attempt)

    monkeypatch.setattr(engine_module, "builtin_variables", broken_for_b)
    heard: list[Any] = []
    runs.service.subscribe(heard.append)
    run_id = runs.service.prerun(flow("bug", [
        shell("c", f'test "$BATCH_ATTEMPT" -gt 1 || {{ echo $$ > {q(pid_file)}; '
                   'exec sleep 30; }'),
        shell("a", f"{wait_file(pid_file)}"), shell("b", "true")], [("a", "b")]), day=DAY)
    sleeper = read_pid(pid_file)
    run = runs.service.wait_run(run_id, timeout=60)

    assert run.state == RunState.INTERRUPTED
    assert "internal error: RuntimeError('injected bug')" in (run.message or "")
    assert runs.states(run) == {"c": "failed", "a": "success", "b": "failed"}
    assert_gone(sleeper)
    assert any(isinstance(c, RunChange) and c.run_id == run_id
               and c.state == RunState.INTERRUPTED for c in heard), "listeners are told"

    monkeypatch.undo()
    plan = runs.service.recover(run_id)
    run = runs.service.wait_run(run_id, timeout=60)

    assert plan.tasks == ["c", "b"]
    assert run.state == RunState.SUCCESS, run.message


def test_a_reference_is_met_by_a_run_another_process_drives(runs: Runs) -> None:
    """B waits for A; A runs in a terminal (`jupyter batch workflow run A`), another
    process on the same data folder. Its success, stored there, wakes B's reference at
    once: B's timeout is far longer than A takes, so B succeeding proves it woke on the
    change (before, nothing told this process, and B failed when the timeout came)."""
    runs.service.save_workflow(flow("A", [shell("a1", "true")]))
    runs.service.publish("A")
    runs.service.save_workflow({**flow("B", [shell("b1", "true")], [("upA", "b1")]),
                                "references": [{"id": "upA", "workflow": "A",
                                                "timeout": 60}]})
    runs.service.publish("B")
    b = runs.trigger("B")
    wait_for(lambda: runs.reached(b, "upA", S.WAITING), "B to wait for A")

    env = {**os.environ, "JUPYTER_BATCH_DIR": str(runs.data_dir)}
    if runs.db_url:
        env["JUPYTER_BATCH_DB_URL"] = runs.db_url
    done = subprocess.run([str(Path(sys.executable).parent / "jupyter"), "batch", "workflow",
                           "run", "A", "--date", DAY], env=env, capture_output=True,
                          text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    finished = runs.finish(b, within=30)
    assert runs.states(finished) == {"upA": "success", "b1": "success"}

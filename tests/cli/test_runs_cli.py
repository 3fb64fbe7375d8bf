"""``jupyter batch run|workflow run|runs|logs|rerun|recover|stop`` through real
subprocesses: a line per task state change while a run goes, exit status 0 only when it
succeeded, reruns previewed before they run, and Ctrl-C stopping a run cleanly."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_batch.service import BatchService
from tests.conftest import JUPYTER
from tests.engine_fixtures import PATIENCE, flow, process_gone, q, shell
from tests.helpers import AUTHOR, Result

Cli = Callable[..., Result]
Write = Callable[[str, Any], Path]
RUN_FAILED, BAD_INPUT = 1, 2
_LINE = re.compile(r"^\d\d:\d\d:\d\d  (\S+)\s+(\S+)(.*)$")


def progress(out: str) -> list[tuple[str, str, str]]:
    """The ``time  task  state  detail`` lines of a followed run, without the time."""
    return [(m[1], m[2], m[3].strip()) for m in map(_LINE.match, out.splitlines()) if m]


def test_run_shows_every_state_change_of_a_quick_run_and_exits_0(cli: Cli,
                                                                  write: Write) -> None:
    # tasks this quick end before a listener subscribing after the start would hear them
    path = write("quick.workflow.json", flow("quick", [shell("a", "true"),
                                                       shell("b", "true")], [("a", "b")]))

    result = cli("run", path)

    assert result.code == 0, result.err
    assert progress(result.out) == [
        ("a", "queued", ""), ("a", "running", "attempt 1"), ("a", "success", ""),
        ("b", "queued", ""), ("b", "running", "attempt 1"), ("b", "success", "")]
    assert re.fullmatch(r"run 1 success in \d+\.\d\d s", result.out.splitlines()[-1])


def test_a_failed_run_exits_1_and_each_line_says_why(cli: Cli, write: Write) -> None:
    path = write("broken.workflow.json", flow("broken", [shell("a", "exit 3"),
                                                         shell("b", "true")], [("a", "b")]))

    result = cli("run", path)

    assert result.code == RUN_FAILED
    lines = progress(result.out)
    assert lines[2][:2] == ("a", "failed") and lines[2][2].startswith(
        "— exited with code 3 after")
    # one line per change, however long, since the output is a pipe here
    assert lines[3] == ("b", "upstream_failed", "— an upstream task did not succeed")
    assert result.out.splitlines()[-1].startswith("run 1 failed in ")


def test_date_and_params_reach_the_task(cli: Cli, write: Write) -> None:
    path = write("p.workflow.json", flow("p", [
        shell("a", 'echo "$BATCH_PARAM_REGION $BATCH_DS"')], params={"region": "us"}))

    result = cli("run", path, "--date", "2026-01-31", "--param", "region=eu", "--json")

    assert result.json()["logical_date"] == "2026-01-31"
    assert "eu 2026-01-31\n" in cli("logs", "1", "a").out


@pytest.mark.parametrize("pair", ["region", "=eu"])
def test_a_malformed_param_is_refused_before_anything_runs(cli: Cli, write: Write,
                                                           pair: str) -> None:
    path = write("p.workflow.json", flow("p", [shell("a", "true")]))

    result = cli("run", path, "--param", pair)

    assert (result.code, result.out) == (BAD_INPUT, "")
    assert result.err_lines == [f"error: --param {pair!r} must look like name=value"]
    assert cli("runs", "--json").json() == {"total": 0, "runs": []}


def test_workflow_run_runs_the_published_version_only(cli: Cli, write: Write) -> None:
    write("w.workflow.json", flow("w", [shell("a", "echo version one")]))
    assert cli("workflow", "save", "w.workflow.json").code == 0
    refused = cli("workflow", "run", "w")
    assert (refused.code, refused.err_lines) == (BAD_INPUT, [
        "error: workflow 'w' is draft; publish it first (or pre-run the draft)"])

    assert cli("workflow", "publish", "w").code == 0
    write("w.workflow.json", flow("w", [shell("a", "echo a draft edit")]))
    assert cli("workflow", "save", "w.workflow.json").code == 0
    ran = cli("workflow", "run", "w", "--json").json()

    assert (ran["trigger"], ran["state"]) == ("manual", "success")
    assert "version one" in cli("logs", str(ran["id"]), "a").out


def test_runs_lists_runs_and_shows_one_run_task_by_task(cli: Cli, write: Write) -> None:
    path = write("two.workflow.json", flow("two", [shell("a", "true"),
                                                   shell("b", "exit 4")]))
    cli("run", path)

    listed = cli("runs").out.splitlines()
    assert listed[0].split() == ["RUN", "WORKFLOW", "DATE", "TRIGGER", "STATE", "CREATED",
                                 "DURATION"]
    assert listed[1].split()[:2] == ["1", "two"] and "failed" in listed[1].split()
    shown = cli("runs", "1").out.splitlines()
    assert shown[0].startswith("run 1: two ") and shown[0].endswith("(prerun) failed")
    rows = {line.split()[0]: line.split() for line in shown[2:]}
    assert rows["a"][1:4] == ["success", "1", "0"]
    assert rows["b"][1:4] == ["failed", "1", "4"]


def test_a_scheduled_run_shows_its_cycle_and_its_tasks_see_it(cli: Cli, write: Write,
                                                               service: BatchService) -> None:
    write("daily.workflow.json", flow("daily", [shell("a", 'echo "cycle=$BATCH_CYCLE"')],
                                      schedule={"cron": "0 2 * * *"}))
    assert cli("workflow", "save", "daily.workflow.json").code == 0
    assert cli("workflow", "publish", "daily").code == 0
    cycle = "2026-11-22T02:00:00+00:00"
    assert service.start_scheduled_run("daily", cycle, "2026-11-22")
    [run] = service.list_runs("daily")[0]
    service.wait_run(run.id)

    shown = cli("runs", str(run.id)).out.splitlines()
    assert shown[0] == f"run {run.id}: daily 2026-11-22 (schedule, cycle {cycle}) success"
    assert cli("runs", str(run.id), "--json").json()["cycle"] == cycle
    assert cli("runs", "--json").json()["runs"][0]["cycle"] == cycle
    assert f"cycle={cycle}\n" in cli("logs", str(run.id), "a").out


def test_reruns_and_recovery_are_previewed_then_run_with_their_attempts_kept(
        cli: Cli, write: Write, workdir: Path) -> None:
    flag = workdir / "fixed"
    path = write("r.workflow.json", flow("r", [
        shell("a", "echo a"), shell("b", f"echo trying b; test -e {q(flag)}"),
        shell("c", "echo c")], [("a", "b"), ("b", "c")]))
    assert cli("run", path).code == RUN_FAILED

    assert cli("recover", "1", "--preview").out == "would run in run 1: b, c\n"
    assert cli("rerun", "1", "a", "--preview").out == "would run in run 1: a\n"
    assert cli("rerun", "1", "a", "--downstream", "--preview").out == (
        "would run in run 1: a, b, c\n")
    assert [r["state"] for r in cli("runs", "1", "--json").json()["tasks"]] == [
        "success", "failed", "upstream_failed"]  # a preview runs nothing

    flag.touch()
    recovered = cli("recover", "1")
    assert recovered.code == 0, recovered.err
    assert recovered.out.splitlines()[0] == "running again in run 1: b, c"
    assert ("b", "running", "attempt 2") in progress(recovered.out)
    assert "a" not in {task for task, _, _ in progress(recovered.out)}
    assert cli("recover", "1").out == "run 1: nothing to run\n"

    first, second = (cli("logs", "1", "b", "--attempt", n).out for n in ("1", "2"))
    assert "trying b" in first and "exited with code 1" in first
    assert "trying b" in second and "exited with code 0" in second


def test_a_rerun_that_leaves_the_run_failed_says_which_tasks_it_did_not_run(
        cli: Cli, write: Write, workdir: Path) -> None:
    flag = workdir / "fixed"
    path = write("r.workflow.json", flow("r", [
        shell("b", f"test -e {q(flag)}"), shell("c", "true")], [("b", "c")]))
    assert cli("run", path).code == RUN_FAILED
    flag.touch()

    alone = cli("rerun", "1", "b")

    assert alone.code == RUN_FAILED
    assert alone.out.splitlines()[-2].startswith("run 1 failed in ")
    assert alone.out.splitlines()[-1] == "not run this time: c (upstream_failed)"


def test_stop_of_a_run_that_has_ended_is_refused(cli: Cli, write: Write) -> None:
    cli("run", write("s.workflow.json", flow("s", [shell("a", "true")])))

    result = cli("stop", "1")

    assert (result.code, result.err_lines) == (BAD_INPUT, [
        "error: run 1 has already ended (success)"])


@contextlib.contextmanager
def long_run_elsewhere(data_dir: Path, workdir: Path, write: Write
                       ) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """``jupyter batch run`` of a workflow ``sleeper`` → ``after`` in a process of its own,
    once ``sleeper``'s child (``sleep 60``) has started: that process and the child's pid.
    The process is killed on the way out if it still runs."""
    pid_file = workdir / "sleeper.pid"
    path = write("long.workflow.json", flow("long", [
        shell("sleeper", f"sleep 60 & echo $! > {q(pid_file)}; wait"),
        shell("after", "true")], [("sleeper", "after")]))
    env = {**os.environ, "JUPYTER_BATCH_DIR": str(data_dir), "JUPYTER_BATCH_AUTHOR": AUTHOR}
    proc = subprocess.Popen([str(JUPYTER), "batch", "run", str(path)], cwd=workdir, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + PATIENCE
        while not (pid_file.exists() and pid_file.read_text().strip()):
            assert time.monotonic() < deadline and proc.poll() is None, "never started"
            time.sleep(0.05)
        yield proc, int(pid_file.read_text())
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_ctrl_c_stops_the_run_and_ends_its_processes(data_dir: Path, workdir: Path,
                                                     write: Write) -> None:
    with long_run_elsewhere(data_dir, workdir, write) as (proc, sleeper):
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=PATIENCE)

    assert proc.returncode == RUN_FAILED, err
    assert "stopping the run…" in err
    assert ("sleeper", "cancelled", "— stopped") in progress(out)
    assert ("after", "cancelled", "— run stopped") in progress(out)
    assert out.splitlines()[-1].startswith("run 1 cancelled in ")
    assert process_gone(sleeper), "the task's child outlived the stop"


def test_logs_follow_prints_a_running_tasks_log_until_it_has_ended(
        cli: Cli, data_dir: Path, workdir: Path, write: Write) -> None:
    started = workdir / "started"
    path = write("slow.workflow.json", flow("slow", [
        shell("a", f"echo one; touch {q(started)}; sleep 1; echo two")]))
    env = {**os.environ, "JUPYTER_BATCH_DIR": str(data_dir), "JUPYTER_BATCH_AUTHOR": AUTHOR}
    runner = subprocess.Popen([str(JUPYTER), "batch", "run", str(path)], cwd=workdir, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + PATIENCE
        while not started.exists():
            assert time.monotonic() < deadline and runner.poll() is None, "never started"
            time.sleep(0.05)

        followed = cli("logs", "1", "a", "--follow")

        assert runner.wait(timeout=PATIENCE) == 0
    finally:
        if runner.poll() is None:
            runner.kill()
    assert followed.code == 0, followed.err
    lines = followed.out.splitlines()
    assert lines[-3:-1] == ["one", "two"]
    assert lines[-1].startswith("# jupyter-batch: exited with code 0 after")


def test_stop_ends_a_run_that_another_process_drives(cli: Cli, data_dir: Path, workdir: Path,
                                                     write: Write) -> None:
    """`stop` asks the process driving the run (here a `jupyter batch run` in another
    terminal) to stop it, and returns once the run has ended."""
    with long_run_elsewhere(data_dir, workdir, write) as (driver, sleeper):
        stopped = cli("stop", "1", "--json")
        out, err = driver.communicate(timeout=PATIENCE)

    assert stopped.code == 0, stopped.err
    assert (stopped.json()["id"], stopped.json()["state"]) == (1, "cancelled")
    assert driver.returncode == RUN_FAILED, err
    assert ("sleeper", "cancelled", "— stopped") in progress(out)
    assert ("after", "cancelled", "— run stopped") in progress(out)
    assert process_gone(sleeper), "the task's child outlived the stop"
    assert [t["state"] for t in cli("runs", "1", "--json").json()["tasks"]] == [
        "cancelled", "cancelled"]
    again = cli("stop", "1")
    assert (again.code, again.err_lines) == (BAD_INPUT, [
        "error: run 1 has already ended (cancelled)"])


def test_two_reruns_from_two_processes_at_once_start_only_one(
        cli: Cli, data_dir: Path, workdir: Path, write: Write) -> None:
    """The claim on the run is taken in the database, so it holds across processes."""
    path = write("r.workflow.json", flow("r", [shell("a", "echo ran; sleep 0.5")]))
    assert cli("run", path).code == 0
    env = {**os.environ, "JUPYTER_BATCH_DIR": str(data_dir), "JUPYTER_BATCH_AUTHOR": AUTHOR}

    for round_ in range(3):
        both = [subprocess.Popen([str(JUPYTER), "batch", "rerun", "1", "a"], cwd=workdir,
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True) for _ in range(2)]
        results = [(p.communicate(timeout=PATIENCE)[1], p.returncode)[::-1] for p in both]

        assert sorted(code for code, _ in results) == [0, BAD_INPUT], results
        refused = next(err for code, err in results if code == BAD_INPUT)
        assert refused == "error: run 1 is still running; wait for it or stop it\n"
        attempts = cli("runs", "1", "--json").json()["tasks"][0]["attempt"]
        assert attempts == 2 + round_, "exactly one of them ran the task again"
    for n in range(1, 5):
        assert cli("logs", "1", "a", "--attempt", str(n)).out.count("ran\n") == 1


def test_backfill_runs_each_date_in_turn_and_fails_if_one_did(cli: Cli, write: Write) -> None:
    path = write("daily.workflow.json", flow("daily", [
        shell("a", 'echo "day $BATCH_DS"; test "$BATCH_DS" != 2026-03-02')]))
    assert cli("workflow", "save", path).code == 0
    assert cli("workflow", "publish", "daily").code == 0

    result = cli("workflow", "backfill", "daily", "2026-03-01", "2026-03-03")

    assert result.code == RUN_FAILED, result.err
    lines = [line.rsplit(" ", 1)[0] for line in result.out.splitlines()]
    assert lines == ["run 1 2026-03-01 success", "run 2 2026-03-02 failed",
                     "run 3 2026-03-03 success"], result.err
    assert "3 runs, 2026-03-01 to 2026-03-03" in result.err
    assert "day 2026-03-03" in cli("logs", "3", "a").out

    again = cli("workflow", "backfill", "daily", "2026-03-04", "2026-03-05", "--json")
    assert again.code == 0, again.err
    assert [(r["logical_date"], r["trigger"], r["state"]) for r in again.json()] == [
        ("2026-03-04", "backfill", "success"), ("2026-03-05", "backfill", "success")]
    assert cli("workflow", "backfill", "daily", "2026-03-05", "2026-03-04").code == BAD_INPUT

"""The scheduler on the real wiring: a ``BatchService`` over a state folder in ``tmp_path``
as its host, real runs, and the real thread with short intervals (per-second crons,
``once`` a second ahead) — or, where the test is about which cycles start rather than
when, passes driven directly with an injected clock.

A run record does not carry its cycle, so ``scheduled`` reads it from the runs table.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from jupyter_batch.model.records import Run
from jupyter_batch.model.schedule import cycle_id, parse_cycle
from jupyter_batch.model.states import RunState
from jupyter_batch.model.wire import run_json
from jupyter_batch.scheduler import Scheduler
from jupyter_batch.service import BatchService
from tests.engine_fixtures import flow, shell, wait_file, wait_for

UTC = timezone.utc
EVERY_SECOND = "* * * * * *"
SECOND = timedelta(seconds=1)
#: how late a run may be created after its due time ("a fraction of a second")
PROMPT = timedelta(seconds=0.5)


class Servers:
    """More services on the test's state folder: a second server, or a restarted one."""

    def __init__(self, data_dir: Path, db_url: str | None) -> None:
        self.data_dir = data_dir
        self.db_url = db_url
        self.running: list[BatchService] = []

    def open(self) -> BatchService:
        self.running.append(BatchService(data_dir=self.data_dir, db_url=self.db_url))
        return self.running[-1]

    def shut(self, server: BatchService) -> None:
        """Stop a server as its extension would: scheduler, runs, store."""
        self.running.remove(server)
        server.close()


@pytest.fixture
def store_url(db_url: str | None) -> str | None:
    """Scheduling holds on SQLite and on PostgreSQL."""
    return db_url


@pytest.fixture
def servers(data_dir: Path, store_url: str | None,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Servers]:
    monkeypatch.delenv("JUPYTER_BATCH_DIR", raising=False)  # it would win over data_dir
    opened = Servers(data_dir, store_url)
    yield opened
    for server in list(opened.running):
        opened.shut(server)


def now() -> datetime:
    return datetime.now(UTC)


def publish(service: BatchService, name: str, schedule: dict[str, Any],
            command: str = "true") -> None:
    service.save_workflow(flow(name, [shell("a", command)], schedule=schedule))
    service.publish(name)


def scheduled(service: BatchService, workflow: str) -> list[tuple[datetime, Run]]:
    """(cycle, run) of every scheduled run of ``workflow``, oldest cycle first."""
    with service.store.engine.connect() as conn:
        rows = conn.execute(text("SELECT cycle, id FROM runs WHERE workflow = :wf AND "
                                 "trigger = 'schedule' ORDER BY cycle"), {"wf": workflow}).all()
    return [(parse_cycle(cycle), service.get_run(run_id)) for cycle, run_id in rows]


def cycles(service: BatchService, workflow: str) -> list[datetime]:
    return [cycle for cycle, _ in scheduled(service, workflow)]


def wait_runs(service: BatchService, workflow: str, count: int) -> list[tuple[datetime, Run]]:
    """Wait until ``workflow`` has ``count`` scheduled runs and every one has ended."""
    def done() -> list[tuple[datetime, Run]] | None:
        found = scheduled(service, workflow)
        return found if len(found) >= count and all(r.state.finished for _, r in found) else None

    return wait_for(done, f"{count} finished scheduled runs of {workflow}")


def consecutive(instants: list[datetime], step: timedelta = SECOND) -> bool:
    return all(b - a == step for a, b in pairwise(instants))


# --- firing ----------------------------------------------------------------------------------

def test_a_per_second_cron_starts_a_run_every_second_promptly(service: BatchService) -> None:
    publish(service, "tick", {"cron": EVERY_SECOND})

    scheduler = service.start_scheduler()
    wait_runs(service, "tick", 3)
    scheduler.stop()
    found = wait_runs(service, "tick", len(scheduled(service, "tick")))

    assert consecutive([cycle for cycle, _ in found])
    for cycle, run in found:
        assert run.state == RunState.SUCCESS
        assert (run.trigger, run.workflow_version) == ("schedule", 1)
        assert run.logical_date == cycle.date().isoformat()
        assert timedelta(0) <= run.created_at - cycle < PROMPT


def test_a_once_schedule_fires_exactly_once(service: BatchService) -> None:
    at = now() + SECOND
    publish(service, "one_off", {"once": at.isoformat(), "timezone": "Europe/Berlin"})

    service.start_scheduler()
    [(cycle, run)] = wait_runs(service, "one_off", 1)
    time.sleep(1.0)

    assert cycle == at
    assert len(scheduled(service, "one_off")) == 1
    assert run.state == RunState.SUCCESS
    assert timedelta(0) <= run.created_at - at < PROMPT


def test_offline_stops_the_fires_and_publishing_again_resumes_them(
        service: BatchService) -> None:
    publish(service, "toggled", {"cron": EVERY_SECOND})
    service.start_scheduler()
    wait_runs(service, "toggled", 2)

    service.offline("toggled")
    offline_at = now()
    time.sleep(1.5)
    while_offline = scheduled(service, "toggled")
    service.publish("toggled")
    resumed = now()
    after = wait_for(lambda: [c for c in cycles(service, "toggled") if c > resumed],
                     "a fire after publishing again")

    assert all(run.created_at < offline_at + timedelta(seconds=0.2) for _, run in while_offline)
    assert after[0] - resumed < SECOND + PROMPT


@pytest.mark.parametrize("policy", ["none", "latest", "all"])
def test_publishing_again_starts_no_cycle_of_the_offline_time(service: BatchService,
                                                               policy: str) -> None:
    """Taking a workflow offline stops its runs: publishing it again (the same version,
    so its publish time is old) catches up none of the cycles that fell meanwhile."""
    publish(service, "toggled", {"cron": EVERY_SECOND, "catchup": policy})
    last = now().replace(microsecond=0)
    assert service.start_scheduled_run("toggled", cycle_id(last), last.date().isoformat())
    service.offline("toggled")
    time.sleep(2.2)  # cycles fall while it is offline

    assert not service.publish("toggled").created
    live_again = now()
    Scheduler(service).run_due()

    assert [c for c in cycles(service, "toggled") if c != last and c <= live_again] == []


def test_a_scheduled_run_knows_its_cycle_and_so_do_its_tasks_and_reruns(
        service: BatchService) -> None:
    publish(service, "marked", {"cron": "0 2 * * *"}, command='echo "cycle=$BATCH_CYCLE"')
    cycle = "2026-11-22T02:00:00+00:00"

    assert service.start_scheduled_run("marked", cycle, "2026-11-22")
    [(_, run)] = wait_runs(service, "marked", 1)
    service.wait_run(service.rerun(run.id, "a").run_id)
    manual = service.wait_run(service.trigger("marked", "2026-11-22"))

    assert (run.cycle, run_json(run)["cycle"]) == (cycle, cycle)
    for attempt in (1, 2):
        assert f"\ncycle={cycle}\n" in service.read_log(run.id, "a", attempt).text
    assert (manual.cycle, run_json(manual)["cycle"]) == (None, None)
    assert "\ncycle=\n" in service.read_log(manual.id, "a").text


# --- which cycles start ----------------------------------------------------------------------

def test_catch_up_after_downtime_none_latest_and_all(service: BatchService) -> None:
    """Three hourly workflows whose last scheduled run was two fires before the time the
    scheduler reads (it was down since): ``none`` skips both missed cycles, ``latest``
    runs the newer, and ``all`` runs both, one after the other, oldest first."""
    first = (now() + timedelta(minutes=5)).replace(microsecond=0)
    hourly = f"{first.minute} * * * * {first.second}"
    before = [first, first + timedelta(hours=1)]
    newest = first + timedelta(hours=2)
    for policy in ("none", "latest", "all"):
        publish(service, f"{policy}_wf", {"cron": hourly, "catchup": policy})
        assert service.start_scheduled_run(f"{policy}_wf", cycle_id(before[0]),
                                           before[0].date().isoformat())
    wait_runs(service, "all_wf", 1)

    # the clock it reads stands half an hour after the newest fire; the service wakes
    # only a scheduler of its own when a run ends, so this one looks often
    ahead = newest + timedelta(minutes=30) - now()
    scheduler = Scheduler(service, now=lambda: now() + ahead, rescan=0.1)
    scheduler.start()
    try:
        # the second catch-up run of "all" starts in a later pass than the one that
        # looked at every workflow first
        caught_up = wait_runs(service, "all_wf", 3)
    finally:
        scheduler.stop()

    assert cycles(service, "none_wf") == before[:1]
    assert cycles(service, "latest_wf") == [before[0], newest]
    assert [cycle for cycle, _ in caught_up] == [*before, newest]
    (_, first), (_, second) = caught_up[1:]
    assert first.ended_at is not None and first.ended_at <= second.created_at


def test_skipped_cycles_are_logged_once_per_workflow(service: BatchService,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """Passes with an injected clock over three hourly workflows, whose first cycle ran:
    ``none`` and ``latest`` tell in one line each which cycles they passed over, and
    never tell a cycle twice; ``all`` skips none."""
    first = (now() + timedelta(minutes=5)).replace(microsecond=0)
    hourly = f"{first.minute} * * * * {first.second}"
    for policy in ("none", "latest", "all"):
        publish(service, f"{policy}_gap", {"cron": hourly, "catchup": policy})
        assert service.start_scheduled_run(f"{policy}_gap", cycle_id(first),
                                           first.date().isoformat())
    clock = [first]
    scheduler = Scheduler(service, now=lambda: clock[0])

    def told(hours_later: timedelta) -> list[str]:
        # the runs started so far have ended: no max_active_runs cap holds a cycle back
        # (one held back by a slow machine would rightly be told as skipped later)
        for run in service.list_runs(states=["queued", "running"])[0]:
            service.wait_run(run.id)
        clock[0] = first + hours_later
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="jupyter_batch.scheduler"):
            scheduler.run_due()
        return [r.getMessage() for r in caplog.records]

    def at(hours: int) -> str:
        return cycle_id(first + timedelta(hours=hours))

    assert told(timedelta(hours=3, minutes=30)) == [
        f"skipped 2 missed cycles of latest_gap (catchup: latest): first {at(1)} last {at(2)}",
        f"skipped 3 missed cycles of none_gap (catchup: none): first {at(1)} last {at(3)}"]
    assert told(timedelta(hours=3, minutes=40)) == []
    assert told(timedelta(hours=4, seconds=1)) == []  # on time: both start it
    assert told(timedelta(hours=6, minutes=30)) == [
        f"skipped 1 missed cycle of latest_gap (catchup: latest): first {at(5)} last {at(5)}",
        f"skipped 2 missed cycles of none_gap (catchup: none): first {at(5)} last {at(6)}"]
    assert cycles(service, "none_gap") == [first, first + timedelta(hours=4)]


def test_a_restarted_scheduler_resumes_from_what_it_stored(servers: Servers) -> None:
    first = servers.open()
    publish(first, "steady", {"cron": EVERY_SECOND, "catchup": "all"})
    first.start_scheduler()
    wait_runs(first, "steady", 2)
    servers.shut(first)
    restarted = servers.open()
    last_stored = max(cycles(restarted, "steady"))
    time.sleep(2.2)  # cycles fall due while no scheduler runs

    restarted.start_scheduler()
    wait_for(lambda: max(cycles(restarted, "steady")) >= last_stored + 4 * SECOND,
             "the restarted scheduler to catch up and go on")

    found = cycles(restarted, "steady")
    assert consecutive(found), "a cycle was skipped or repeated across the restart"


def race(hosts: list[BatchService], workflow: str, cycle: str, day: str) -> list[bool]:
    """Every host starts ``cycle`` at the same moment, each on its own thread."""
    barrier = threading.Barrier(len(hosts))
    results: list[bool] = []

    def trigger(host: BatchService) -> None:
        barrier.wait()
        results.append(host.start_scheduled_run(workflow, cycle, day))

    threads = [threading.Thread(target=trigger, args=(host,)) for host in hosts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_triggers_of_one_cycle_start_one_run(service: BatchService,
                                                 servers: Servers) -> None:
    publish(service, "contested", {"cron": "0 2 * * *"})
    hosts = [service, servers.open()]

    for day in ("2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"):
        results = race(hosts, "contested", f"{day}T02:00:00+00:00", day)
        assert sorted(results) == [False, True]
    assert len(scheduled(service, "contested")) == 5


def test_two_servers_start_each_cycle_once(service: BatchService, servers: Servers) -> None:
    # catch-up "all": a pass the busy machine delays past the next fire must not skip one
    publish(service, "shared", {"cron": EVERY_SECOND, "catchup": "all"})
    other = servers.open()

    schedulers = [service.start_scheduler(), other.start_scheduler()]
    wait_for(lambda: len(cycles(service, "shared")) >= 4, "four fires")
    leaders = [scheduler.leading for scheduler in schedulers]
    status = service.scheduler_status()
    for scheduler in schedulers:
        scheduler.stop()

    assert sorted(leaders) == [False, True], "exactly one of the two schedulers leads"
    assert status.running_here and status.leads_here is leaders[0]
    assert service.scheduler_status().leader is None, "a clean stop gives the lease up"

    found = cycles(service, "shared")
    assert consecutive(found), "a cycle was skipped or started twice"


class HeldElsewhere:
    """A lease another scheduler holds for good: every try fails, and is counted."""

    renew_every = 0.1

    def __init__(self) -> None:
        self.tries = 0

    def hold(self) -> bool:
        self.tries += 1
        return False

    def release(self) -> None:
        raise AssertionError("a scheduler that never led has no lease to give up")


def test_a_standby_scheduler_seeks_the_lease_once_per_renewal(service: BatchService) -> None:
    lease = HeldElsewhere()
    scheduler = Scheduler(service, leadership=lease)

    scheduler.start()
    time.sleep(1.0)
    scheduler.stop()

    # about ten tries in a second; a standby waiting on its stale pass time spun
    # thousands of times
    assert 5 <= lease.tries <= 20, f"{lease.tries} tries of the lease in one second"
    assert not scheduler.leading


# --- caps, one pass at a time (injected clock) -----------------------------------------------

def gated(service: BatchService, tmp_path: Path, name: str, **schedule: Any) -> Path:
    """Publish an hourly workflow whose runs wait for a gate file; returns the gate."""
    gate = tmp_path / f"{name}.go"
    publish(service, name, {"cron": "0 * * * *", "catchup": "all", **schedule},
            command=wait_file(gate))
    return gate


def three_hours_later() -> Callable[[], datetime]:
    """A clock standing three hours and a minute after now: three hourly cycles missed."""
    later = now() + timedelta(hours=3, minutes=1)
    return lambda: later


def started(service: BatchService, name: str) -> int:
    return len(scheduled(service, name))


def test_a_backlog_runs_one_at_a_time_oldest_first(service: BatchService,
                                                   tmp_path: Path) -> None:
    gate = gated(service, tmp_path, "backlog")
    scheduler = Scheduler(service, now=three_hours_later())

    scheduler.run_due()
    scheduler.run_due()
    assert started(service, "backlog") == 1
    gate.touch()
    for expected in (2, 3, 3):
        for _, run in scheduled(service, "backlog"):
            service.wait_run(run.id)
        scheduler.run_due()
        assert started(service, "backlog") == expected

    found = cycles(service, "backlog")
    assert consecutive(found, timedelta(hours=1))
    assert found[0] - now() < timedelta(hours=1)


def test_max_active_runs_lets_that_many_run_at_once(service: BatchService,
                                                    tmp_path: Path) -> None:
    gate = gated(service, tmp_path, "wide", max_active_runs=2)
    scheduler = Scheduler(service, now=three_hours_later())

    scheduler.run_due()
    scheduler.run_due()
    assert started(service, "wide") == 2
    assert service.active_scheduled_runs("wide") == 2
    gate.touch()
    for _, run in scheduled(service, "wide"):
        service.wait_run(run.id)
    scheduler.run_due()
    assert started(service, "wide") == 3


def test_the_service_starts_no_scheduler_by_itself(service: BatchService) -> None:
    publish(service, "idle", {"cron": EVERY_SECOND})

    assert not any(t.name == "batch-scheduler" for t in threading.enumerate())


# --- the benchmark stays runnable ------------------------------------------------------------

def test_the_scheduler_benchmark_runs_in_quick_mode() -> None:
    bench = Path(__file__).resolve().parents[1] / "bench" / "scheduler.py"

    proc = subprocess.run([sys.executable, str(bench), "--quick"], capture_output=True,
                          text=True, timeout=120)

    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("scheduler: 2 workflows")
    assert [line.split(" n=")[0].strip() for line in lines[1:4]] == [
        "due -> run created", "due -> run started", "baseline Event.wait"]
    assert "median created delay" in lines[4]

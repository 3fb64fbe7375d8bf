"""``jupyter batch scheduler``: the scheduler without JupyterLab, as real processes.

Two of them share one PostgreSQL store; the leader is killed with SIGKILL mid-schedule;
the other takes over within seconds and every cycle runs exactly once. The settings come
from a Jupyter config file, as a server's would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from jupyter_batch.model.states import RunState
from jupyter_batch.service import BatchService
from tests.engine_fixtures import wait_for
from tests.helpers import AUTHOR
from tests.postgres import PostgresServer
from tests.test_scheduler import EVERY_SECOND, consecutive, cycles, publish, scheduled

JUPYTER = Path(sys.executable).parent / "jupyter"
LEASE = 2.0
#: how long a takeover may take: the lease running out, plus a standby's next try
TAKEOVER = LEASE + LEASE / 3 + 5


class Schedulers:
    """``jupyter batch scheduler`` processes over one store, configured by a Jupyter
    config file in their own config folder."""

    def __init__(self, tmp_path: Path, data_dir: Path, db_url: str | None) -> None:
        config_dir = tmp_path / "jupyter-config"
        config_dir.mkdir()
        settings = [f"c.BatchApp.data_dir = {str(data_dir)!r}",
                    f"c.BatchApp.scheduler_lease = {LEASE}"]
        if db_url:
            settings.append(f"c.BatchApp.db_url = {db_url!r}")
        (config_dir / "jupyter_server_config.py").write_text("\n".join(settings) + "\n")
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("JUPYTER_BATCH_DIR", "JUPYTER_BATCH_DB_URL")}
        self.env.update(JUPYTER_CONFIG_DIR=str(config_dir), JUPYTER_BATCH_AUTHOR=AUTHOR)
        self.logs = tmp_path
        self.started: list[subprocess.Popen[str]] = []

    def start(self) -> subprocess.Popen[str]:
        with (self.logs / f"scheduler-{len(self.started)}.log").open("w") as log:
            proc = subprocess.Popen([str(JUPYTER), "batch", "scheduler"], env=self.env,
                                    stdout=log, stderr=subprocess.STDOUT, text=True)
        self.started.append(proc)
        return proc

    def command(self, *args: str) -> str:
        return subprocess.run([str(JUPYTER), "batch", *args], env=self.env, check=True,
                              capture_output=True, text=True, timeout=60).stdout

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def leader_pid(service: BatchService) -> int | None:
    leader = service.scheduler_status().leader
    return None if leader is None else int(leader.split(":")[1])


@pytest.fixture
def open_store(tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
               ) -> Iterator[Callable[[str | None], tuple[BatchService, Schedulers]]]:
    monkeypatch.delenv("JUPYTER_BATCH_DIR", raising=False)
    monkeypatch.delenv("JUPYTER_BATCH_DB_URL", raising=False)
    monkeypatch.setenv("JUPYTER_BATCH_AUTHOR", AUTHOR)
    opened: list[tuple[BatchService, Schedulers]] = []

    def open_(db_url: str | None) -> tuple[BatchService, Schedulers]:
        opened.append((BatchService(data_dir=data_dir, db_url=db_url),
                       Schedulers(tmp_path, data_dir, db_url)))
        return opened[-1]

    yield open_
    for service, schedulers in opened:
        schedulers.stop_all()
        service.close()


def test_the_standby_takes_over_from_a_killed_leader_and_no_cycle_runs_twice(
        postgres: PostgresServer,
        open_store: Callable[[str | None], tuple[BatchService, Schedulers]]) -> None:
    service, schedulers = open_store(postgres.new_database())
    publish(service, "tick", {"cron": EVERY_SECOND, "catchup": "all"})
    first, second = schedulers.start(), schedulers.start()
    by_pid = {first.pid: first, second.pid: second}

    leader = by_pid[wait_for(lambda: leader_pid(service), "a scheduler to lead")]
    wait_for(lambda: len(cycles(service, "tick")) >= 3, "three fires")
    leader.kill()  # SIGKILL: no chance to give the lease up
    leader.wait()
    killed_at = len(cycles(service, "tick"))

    def new_leader() -> int | None:  # one read per look: the lease can change between reads
        pid = leader_pid(service)
        return pid if pid in by_pid and by_pid[pid] is not leader else None

    standby = by_pid[wait_for(new_leader, "the standby to take over", within=TAKEOVER)]
    wait_for(lambda: len(cycles(service, "tick")) >= killed_at + 3,
             "three fires after the takeover")
    standby.send_signal(signal.SIGTERM)
    assert standby.wait(timeout=30) == 0

    found = scheduled(service, "tick")
    instants: list[datetime] = [cycle for cycle, _ in found]
    assert consecutive(instants), "a cycle was skipped or started twice"
    assert len(set(instants)) == len(instants)
    # none is left in flight: the new leader marked the dead one's runs interrupted,
    # and the standby's clean stop ended its own
    settled = {RunState.SUCCESS, RunState.INTERRUPTED, RunState.CANCELLED}
    assert {service.get_run(run.id).state for _, run in found} <= settled
    assert service.scheduler_status().leader is None, "a clean stop gives the lease up"


def test_status_tells_who_leads_and_a_clean_stop_frees_the_store_at_once(
        open_store: Callable[[str | None], tuple[BatchService, Schedulers]]) -> None:
    service, schedulers = open_store(None)
    assert schedulers.command("scheduler", "--status") == "no scheduler leads this store now\n"

    proc = schedulers.start()
    wait_for(lambda: leader_pid(service) == proc.pid, "the scheduler to lead")
    status = schedulers.command("scheduler", "--status")
    assert status.startswith(f"{service.scheduler_status().leader} leads this store (for ")

    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    assert schedulers.command("scheduler", "--status") == "no scheduler leads this store now\n"


@pytest.mark.parametrize("lease", ["0", "-1", "-0.5", "nan", "inf"])
def test_a_lease_that_is_not_a_positive_number_of_seconds_is_bad_input(
        tmp_path: Path, lease: str) -> None:
    data_dir = tmp_path / "batch"
    env = {**os.environ, "JUPYTER_BATCH_DIR": str(data_dir)}
    try:
        proc = subprocess.run([str(JUPYTER), "batch", "scheduler", "--lease", lease], env=env,
                              capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:  # it took the value, and serves (or spins) with it
        pytest.fail(f"--lease {lease} was taken: the scheduler ran")

    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.splitlines() == [
        f"error: --lease must be a positive number of seconds, not {float(lease):g}"]
    assert not data_dir.exists(), "refused before the store is opened"

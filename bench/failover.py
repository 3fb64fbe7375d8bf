"""Scheduler failover: how long the schedule stalls when the leading scheduler dies.

Two real ``jupyter batch scheduler`` processes share a temporary store (SQLite, or the
database given with ``--db-url``); a workflow fires every second with catch-up "all".
The leader is killed with SIGKILL; the bench measures how long until the standby holds
the lease, and how late the cycles that fell due meanwhile were started. The baseline is
the lease length: a standby cannot take over before the dead leader's lease runs out —
between 2/3 of it and all of it after the kill, as the leader renews every third — and
it tries every third of it, so takeover / lease lies between about 0.67 and 1.33 on an
idle machine. Every cycle must have exactly one run.

    .venv/bin/python bench/failover.py [--lease 3] [--db-url URL] [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from jupyter_batch.model.schedule import parse_cycle
from jupyter_batch.service import BatchService

JUPYTER = Path(sys.executable).parent / "jupyter"
T = TypeVar("T")


def leader_pid(service: BatchService) -> int | None:
    leader = service.scheduler_status().leader
    return None if leader is None else int(leader.split(":")[1])


def wait_until(predicate: Callable[[], T | None], within: float = 60.0) -> T:
    deadline = time.monotonic() + within
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise SystemExit("failover bench: gave up waiting")
        time.sleep(0.01)
    return value


def failover(lease: float, db_url: str | None, settle: float) -> dict[str, float]:
    """Kill the leader once; return the takeover time and the lateness of the cycles."""
    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if k != "JUPYTER_BATCH_DB_URL"}
        env["JUPYTER_BATCH_DIR"] = folder
        env["JUPYTER_CONFIG_DIR"] = folder  # no user config
        if db_url:
            env["JUPYTER_BATCH_DB_URL"] = db_url
        service = BatchService(data_dir=folder, db_url=db_url)
        service.save_workflow({"name": "tick", "tasks": [{"id": "a", "type": "app",
                                                          "args": ["true"]}],
                               "schedule": {"cron": "* * * * * *", "catchup": "all"}})
        service.publish("tick")
        argv = [str(JUPYTER), "batch", "scheduler", "--lease", str(lease)]
        procs = [subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for _ in range(2)]
        try:
            by_pid = {proc.pid: proc for proc in procs}
            leader = by_pid[wait_until(lambda: leader_pid(service))]
            time.sleep(settle)
            leader.kill()
            killed = time.monotonic()
            wait_until(lambda: leader_pid(service) not in (None, leader.pid))
            takeover = time.monotonic() - killed
            time.sleep(settle)
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
            with service.store.engine.connect() as conn:
                rows = conn.execute(text("SELECT cycle, id FROM runs WHERE "
                                         "trigger = 'schedule' ORDER BY cycle")).all()
            cycles = [parse_cycle(cycle) for cycle, _ in rows]
            late = [(service.get_run(run_id).created_at - cycle).total_seconds()
                    for cycle, (_, run_id) in zip(cycles, rows, strict=True)]
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
            service.close()
    gaps = [b - a for a, b in itertools.pairwise(cycles)]
    if len(set(cycles)) != len(cycles) or any(g != timedelta(seconds=1) for g in gaps):
        raise SystemExit(f"failover bench: cycles skipped or doubled: {cycles}")
    return {"takeover": takeover, "worst_late": max(late), "cycles": len(cycles)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lease", type=float, default=3.0, help="lease length (s)")
    parser.add_argument("--db-url", help="a shared database (default: SQLite)")
    parser.add_argument("--quick", action="store_true", help="1 s lease, short (tests)")
    args = parser.parse_args()
    lease, settle = (1.0, 1.5) if args.quick else (args.lease, 3.0)

    found = failover(lease, args.db_url, settle)
    print(f"failover: 2 schedulers, lease {lease:g} s, "
          f"{'SQLite' if not args.db_url else args.db_url.split(':')[0]}")
    print(f"takeover after SIGKILL {found['takeover']:6.2f} s   "
          f"= {found['takeover'] / lease:.2f} x lease (0.67 .. 1.33 when idle)")
    print(f"latest cycle start     {found['worst_late']:6.2f} s after its due time")
    print(f"cycles                 {found['cycles']:6d}, each exactly once")


if __name__ == "__main__":
    main()

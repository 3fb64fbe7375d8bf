"""Scheduler promptness: how long after its due time each fire's run is created and
started, through a real BatchService + Scheduler on a temporary data folder.

Workflows with a per-second cron (``* * * * * *``) fire together every second for a
while; for every fire the delay from its cycle (the due instant) to the run's
``created_at`` (the scheduler's part) and ``started_at`` (the engine took it up) is
collected. The baseline is how late a bare thread wakes from ``threading.Event.wait`` at
as many instants, 100 ms apart: what the operating system alone costs.
Target: median created delay under 100 ms.

    .venv/bin/python bench/scheduler.py [--workflows 5] [--seconds 20] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from jupyter_batch.model.schedule import parse_cycle
from jupyter_batch.service import BatchService

UTC = timezone.utc


def workflow(name: str) -> dict:
    return {"name": name, "schedule": {"cron": "* * * * * *"},
            "tasks": [{"id": "a", "type": "app", "args": ["true"]}]}


def scheduled_delays(workflows: int, seconds: float) -> tuple[list[float], list[float]]:
    """Run the scheduler for ``seconds``; (created, started) delays in ms of every fire."""
    os.environ.pop("JUPYTER_BATCH_DIR", None)  # it would win over the temporary folder
    with tempfile.TemporaryDirectory() as folder, BatchService(data_dir=folder) as service:
        names = [f"tick{i}" for i in range(workflows)]
        for name in names:
            service.save_workflow(workflow(name))
            service.publish(name)
        scheduler = service.start_scheduler()
        time.sleep(seconds)
        scheduler.stop()
        with service.store.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, cycle FROM runs WHERE trigger = 'schedule'"
                                     )).all()
        created, started = [], []
        for run_id, cycle in rows:
            run = service.wait_run(run_id)
            due = parse_cycle(cycle)
            created.append((run.created_at - due) / timedelta(milliseconds=1))
            if run.started_at is not None:
                started.append((run.started_at - due) / timedelta(milliseconds=1))
        return created, started


def baseline_delays(fires: int) -> list[float]:
    """A bare thread waking on ``Event.wait`` at instants 100 ms apart, in ms late."""
    event = threading.Event()
    delays = []
    for _ in range(fires):
        due = datetime.now(UTC) + timedelta(milliseconds=100)
        event.wait((due - datetime.now(UTC)).total_seconds())
        delays.append((datetime.now(UTC) - due) / timedelta(milliseconds=1))
    return delays


def summary(label: str, delays: list[float]) -> str:
    ordered = sorted(delays)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (f"{label:<22} n={len(ordered):<4} median {statistics.median(ordered):7.1f} ms"
            f"   p95 {p95:7.1f} ms   max {ordered[-1]:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflows", type=int, default=5, help="per-second workflows")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to fire")
    parser.add_argument("--quick", action="store_true", help="2 workflows for 3 s (tests)")
    args = parser.parse_args()
    workflows, seconds = (2, 3.0) if args.quick else (args.workflows, args.seconds)

    created, started = scheduled_delays(workflows, seconds)
    baseline = baseline_delays(len(created))
    print(f"scheduler: {workflows} workflows x per-second cron for {seconds:g} s")
    print(summary("due -> run created", created))
    print(summary("due -> run started", started))
    print(summary("baseline Event.wait", baseline))
    median = statistics.median(created)
    print(f"median created delay {median:.1f} ms: "
          f"{'within' if median < 100 else 'OVER'} the 100 ms target")


if __name__ == "__main__":
    main()

"""The scheduler: a thread that starts the runs of published workflows when they fall due.

It keeps no state of its own (but for which skipped cycles it has logged). Each pass
reads, through a ``SchedulerHost``, every published workflow with a schedule, the newest
cycle started for it (the runs table) and when it went live, asks ``model.schedule``
which cycles are due, and starts them. So a scheduler started on the same data after a
restart resumes from what was stored, and two schedulers on one database (two servers)
cannot start a cycle twice: the database keeps one scheduled run per (workflow, cycle),
and the loser of a race is told so. Cycles that ``catchup: none`` or ``latest`` pass over
are logged, one line per workflow and pass.

Between passes the thread waits on an event until the next fire, or until ``wake()``
(a workflow was published or taken offline, a run ended — in this process or, as the
service hears from the others on its data folder, in another) — never a fixed tick. The
wait is capped at ``rescan`` seconds because some changes cannot wake it: a change on
another machine, and time the machine spent suspended (a monotonic wait does not count it).

**One leader.** Several schedulers may share a store (two JupyterLab servers, or Lab and
``jupyter batch scheduler``). With a ``Leadership`` (a lease in the database), only its
holder runs passes; the others stand by and try to take the lease every
``renew_every`` seconds, so a leader that dies is replaced within its lease's length
plus that. The leader renews at the same pace, and each time marks the runs whose
driving process on this machine has died. The database's one-run-per-cycle rule still
guards the moment a frozen leader and its successor overlap.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol

from .model.schedule import (
    SKIPPED_COUNTED,
    Due,
    cycle_id,
    due_cycles,
    logical_date,
    max_active,
    next_fire,
    parse_cycle,
    skipped_cycles,
)
from .model.workflow import Schedule

log = logging.getLogger(__name__)

#: the longest the thread waits without looking at the database; shorter than
#: ``model.schedule.ON_TIME``, so a fire it learns of late is still on time
RESCAN = 30.0


@dataclass(frozen=True)
class ScheduledWorkflow:
    """A published workflow with a schedule, as a scheduling pass sees it."""

    name: str
    schedule: Schedule
    #: when its current version was published: no earlier cycle is due
    published_at: datetime
    #: the newest cycle the scheduler has started for it (``cycle_id`` form), if any
    last_cycle: str | None
    #: when it last went live (published from draft or offline): no earlier cycle is
    #: due either, so its offline time is not caught up (None: not known)
    live_since: datetime | None = None

    def anchor(self) -> datetime:
        """The instant after which its cycles may be due: the latest of its last cycle,
        its version's publish time and when it went live."""
        known = [self.published_at, self.live_since,
                 None if self.last_cycle is None else parse_cycle(self.last_cycle)]
        return max(t for t in known if t is not None)


class SchedulerHost(Protocol):
    """What the scheduler needs from the rest of the system (the service provides it)."""

    def scheduled_workflows(self) -> list[ScheduledWorkflow]:
        """Every published workflow whose current version has a schedule."""
        ...

    def active_scheduled_runs(self, workflow: str) -> int:
        """How many scheduled runs of ``workflow`` are queued or running, in any process."""
        ...

    def start_scheduled_run(self, workflow: str, cycle: str, logical_date: str) -> bool:
        """Start the current version of ``workflow`` for ``cycle``. False when that cycle
        has a run already (another scheduler won the race) or the workflow is no longer
        published."""
        ...

    def look_after_runs(self) -> None:
        """While this scheduler leads, at each renewal of its lease (or each pass without
        one): mark the runs whose driving process has died — the leader before, another
        server, a terminal — so they show as interrupted and can be recovered."""
        ...


class Leadership(Protocol):
    """A lease that makes one scheduler of many the leader (``store.leases.Lease``)."""

    #: how often the holder renews it and the others try to take it (seconds)
    renew_every: float

    def hold(self) -> bool:
        """Take or renew the lease; True when this scheduler leads now."""
        ...

    def release(self) -> None:
        """Give the lease up (on a clean stop), so another takes over at once."""
        ...


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Scheduler:
    """A stoppable thread running ``run_due`` passes (see the module docstring).

    ``now`` is the clock (injectable for tests that drive ``run_due`` directly).
    """

    def __init__(self, host: SchedulerHost, now: Callable[[], datetime] = _utcnow,
                 rescan: float = RESCAN, leadership: Leadership | None = None) -> None:
        self._host = host
        self._now = now
        self._rescan = rescan
        self._leadership = leadership
        #: whether this scheduler leads (always, without a leadership)
        self.leading = False
        #: per workflow, the newest skipped cycle logged already: each is told once
        self._skipped_told: dict[str, datetime] = {}
        self._woken = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="batch-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it; a pass under way finishes first."""
        self._stopping.set()
        self._woken.set()
        if self._thread.is_alive():
            self._thread.join()

    def wake(self) -> None:
        """Run a pass now: what is scheduled, or which runs are active, has changed."""
        self._woken.set()

    def _loop(self) -> None:
        pass_at = 0.0  # monotonic time of the next pass
        while not self._stopping.is_set():
            # read and cleared before the pass, so a wake() during the pass is not lost
            woken = self._woken.is_set()
            self._woken.clear()
            led_before = self.leading
            leading = self._lead()
            if leading:  # at each renewal of the lease, or each pass without one
                try:
                    self._host.look_after_runs()
                except Exception:
                    log.exception("could not look after the runs of processes that died")
            if leading and (woken or not led_before or time.monotonic() >= pass_at):
                wait = self._rescan
                try:
                    next_pass = self.run_due()
                except Exception:  # the database may be busy or gone for a moment
                    log.exception("a scheduling pass failed; trying again in %g s", wait)
                    next_pass = None
                if next_pass is not None:
                    wait = min(wait, max(0.0, (next_pass - self._now()).total_seconds()))
                pass_at = time.monotonic() + wait
            wait = max(0.0, pass_at - time.monotonic())
            if self._leadership is not None:
                # a leader renews the lease meanwhile; a standby seeks it at that pace (its
                # pass_at is stale, and waiting on it would ask the database in a tight loop)
                renew = self._leadership.renew_every
                wait = min(wait, renew) if self.leading else renew
            self._woken.wait(wait)
        if self._leadership is not None and self.leading:
            self._leadership.release()

    def _lead(self) -> bool:
        """Whether to run a pass now: always without a leadership; else when this
        scheduler holds (or just took) the lease. Changes of role are logged."""
        if self._leadership is None:
            self.leading = True
            return True
        try:
            leading = self._leadership.hold()
        except Exception:  # unreachable database: a leader that cannot renew stands down
            log.exception("could not renew the scheduler lease")
            leading = False
        if leading != self.leading:
            log.warning("this scheduler %s", "now leads: it starts the scheduled runs"
                        if leading else "stands by: another scheduler leads")
            self.leading = leading
        return leading

    def run_due(self) -> datetime | None:
        """One pass: start every due cycle the caps allow. Returns the next fire of any
        workflow (None when none is coming), when the next pass is needed."""
        now = self._now()
        next_pass: datetime | None = None
        for wf in self._host.scheduled_workflows():
            try:
                at = self._run_due(wf, now)
            except Exception:  # one broken workflow must not stop the others
                log.exception("scheduling workflow %r failed", wf.name)
                continue
            if at is not None and (next_pass is None or at < next_pass):
                next_pass = at
        return next_pass

    def _run_due(self, wf: ScheduledWorkflow, now: datetime) -> datetime | None:
        """Start ``wf``'s due cycles in order, stopping at the first one its cap holds
        back (a run's end wakes the scheduler to go on); return its next fire. Cycles
        its catch-up policy passes over are logged."""
        anchor = wf.anchor()
        dues: Iterable[Due] = due_cycles(wf.schedule, anchor, now)
        if wf.schedule.catchup_policy != "all":  # "all" skips none, and its walk is lazy
            dues = list(dues)  # at most the newest fire
            self._log_skipped(wf, anchor, now, [due.at for due in dues])
        for due in dues:
            cap = max_active(wf.schedule, due)
            if cap is not None and self._host.active_scheduled_runs(wf.name) >= cap:
                break
            # False means another scheduler started this cycle: it is taken either way
            self._host.start_scheduled_run(wf.name, cycle_id(due.at),
                                           logical_date(wf.schedule, due.at))
        return next_fire(wf.schedule, now)

    def _log_skipped(self, wf: ScheduledWorkflow, anchor: datetime, now: datetime,
                     due: list[datetime]) -> None:
        """One line for the cycles of ``wf`` that will never run, each told once."""
        told = self._skipped_told.get(wf.name)
        skipped = skipped_cycles(wf.schedule, anchor if told is None else max(anchor, told),
                                 now, due)
        if skipped is None:
            return
        self._skipped_told[wf.name] = skipped.last
        count = (f"more than {SKIPPED_COUNTED}" if skipped.count > SKIPPED_COUNTED
                 else str(skipped.count))
        log.warning("skipped %s missed cycle%s of %s (catchup: %s): first %s last %s", count,
                    "" if skipped.count == 1 else "s", wf.name, wf.schedule.catchup_policy,
                    cycle_id(skipped.first), cycle_id(skipped.last))

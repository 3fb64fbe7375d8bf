"""When a ``Schedule`` fires, and which of its cycles are due: pure arithmetic, no I/O.

"Now" is always an argument, so every rule here is tested with fixed instants.

**Wall-clock times.** A cron expression names wall-clock times in the schedule's time
zone (default UTC); 6 fields mean seconds last (croniter's convention). croniter walks
those times as naive datetimes — plain calendar arithmetic, which it does reliably — and
this module turns each into an instant with zoneinfo, deciding the DST cases itself:

- *Spring forward* (a wall time that does not exist, e.g. 02:30 in Europe/Berlin on the
  last Sunday of March): it fires at the moment the clocks jump (03:00 CEST), once. A
  daily job still runs that day; fires named inside the gap collapse into that one
  instant, so an hourly ``0 * * * *`` runs 23 times on the 23-hour day.
- *Fall back* (a wall time that occurs twice): it fires at the first occurrence only, so
  a daily 02:30 job runs once — unless the cron's hour field is ``*``: a job that runs
  every hour or more often keeps its pace through the repeated hour and fires at both
  occurrences (25 hourly runs on the 25-hour day).

A naive ``once``, ``start`` or ``end`` is read in the schedule's time zone by the same
rule (first occurrence; a time in a gap means the jump). ``start`` and ``end`` bound the
fires, both inclusive.

**Cycles.** A fire's *cycle* is its instant, written ``cycle_id`` (ISO-8601 in UTC,
``2026-11-22T02:00:00+00:00``); the runs table keeps one scheduled run per (workflow,
cycle). Its *logical date* is the instant's date in the schedule's time zone.

**Catch-up.** ``due_cycles`` says which cycles to start, given the newest cycle already
started (or the publish time) and now. A cycle counts as *on time* when it is the newest
fire and at most ``ON_TIME`` old; every other due cycle is a *catch-up* cycle:

- ``none`` starts only an on-time cycle; missed ones are skipped for good.
- ``latest`` starts the newest due cycle, on time or not; older ones are skipped.
- ``all`` starts every due cycle, oldest first.

``skipped_cycles`` says which cycles ``none`` and ``latest`` pass over, so they can be
told (the scheduler logs them).

``max_active`` caps how many runs of the workflow may be active when a cycle starts:
``max_active_runs`` when the schedule sets it; otherwise one for a catch-up cycle (a
backlog runs one run at a time, in order) and no cap for an on-time one (like cron, a
fire starts whether or not the previous run has ended).
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from .workflow import Schedule

UTC = timezone.utc
#: How late a fire may be found and still be on time. A running scheduler starts fires
#: within milliseconds; this absorbs a busy machine or a quick restart, and it is longer
#: than the scheduler's rescan interval, so a workflow published by another process
#: (which cannot wake this one) still gets its next fire.
ON_TIME = timedelta(seconds=60)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


# --- instants and wall-clock times ---------------------------------------------------------

def zone(schedule: Schedule) -> ZoneInfo:
    return ZoneInfo(schedule.tz)


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    """What the clocks of ``tz`` show at ``instant`` (naive)."""
    return instant.astimezone(tz).replace(tzinfo=None)


def _jump(wall: datetime, tz: ZoneInfo) -> datetime:
    """The instant the clocks of ``tz`` jumped over ``wall``, a time in a spring-forward gap.

    Read with the offset after the jump (fold=1), a gap time lands before the jump; with
    the offset before it (fold=0), after. Zone transitions fall on whole seconds, so a
    bisection over the seconds in between finds the jump exactly.
    """
    before = int(wall.replace(tzinfo=tz, fold=1).timestamp())
    after = int(wall.replace(tzinfo=tz, fold=0).timestamp())
    offset_after = datetime.fromtimestamp(after, tz).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)


def first_instant(wall: datetime, tz: ZoneInfo) -> datetime:
    """The first instant at which the clocks of ``tz`` show ``wall`` or have passed it:
    the first occurrence of a repeated time, the jump for a time that is skipped."""
    early = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    return early if _wall(early, tz) == wall else _jump(wall, tz)


def _span(wall: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The first and the last instant showing ``wall`` (the same but in a repeated hour).
    Both are monotonic in ``wall``, which is what lets a walk emit fires in order."""
    first = first_instant(wall, tz)
    late = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    return (first, late) if late > first and _wall(late, tz) == wall else (first, first)


def parse_instant(text: str, tz: ZoneInfo) -> datetime:
    """An ISO-8601 time as a UTC instant; a naive one is a wall time in ``tz``."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return first_instant(parsed, tz)
    return parsed.astimezone(UTC)


def cycle_id(instant: datetime) -> str:
    """The cycle of a fire: ``2026-11-22T02:00:00+00:00``. All cycles share this form, so
    they sort as strings in time order (``+`` sorts before ``.`` of a fraction)."""
    return instant.astimezone(UTC).isoformat()


def parse_cycle(text: str) -> datetime:
    return datetime.fromisoformat(text)


def logical_date(schedule: Schedule, instant: datetime) -> str:
    """The fire's date in the schedule's time zone (``YYYY-MM-DD``)."""
    return instant.astimezone(zone(schedule)).date().isoformat()


# --- fires ---------------------------------------------------------------------------------

def _key(instant: datetime, reverse: bool) -> int:
    micros = (instant - _EPOCH) // _MICROSECOND
    return -micros if reverse else micros


def _instant(key: int, reverse: bool) -> datetime:
    return _EPOCH + (-key if reverse else key) * _MICROSECOND


def _cron_walk(expr: str, tz: ZoneInfo, start: datetime, reverse: bool) -> Iterator[datetime]:
    """The fires of ``expr`` strictly after ``start`` (``reverse``: at or before it, newest
    first), each once, in order.

    Each wall time croniter yields maps to its first instant (and, for an every-hour cron,
    also its second one in a repeated hour). Those second instants come out of order, so
    instants wait in a heap until no later wall time can map before them: forward, until
    the current wall's first instant has passed them; in reverse, its last instant.
    """
    from croniter import CroniterBadDateError, croniter

    every_hour = expr.split()[1] == "*"
    wall = _wall(start, tz)
    first, last = _span(wall, tz)
    # in a repeated hour, the other occurrence of the walls around ``start`` is up to one
    # offset change away: begin the walk that much earlier (or later)
    shift = last - first
    begin = wall + shift + timedelta(seconds=1) if reverse else wall - shift
    walk = croniter(expr, begin)
    step = walk.get_prev if reverse else walk.get_next
    pending: list[int] = []
    emitted: int | None = None
    limit = _key(start, reverse)
    while True:
        try:
            wall = step(datetime)
        except CroniterBadDateError:  # no fire in croniter's search horizon: none at all
            bound = None
        else:
            first, last = _span(wall, tz)
            for instant in {first, last} if every_hour else {first}:
                heapq.heappush(pending, _key(instant, reverse))
            bound = _key(last if reverse else first, reverse)
        while pending and (bound is None or pending[0] <= bound):
            key = heapq.heappop(pending)
            if key != emitted and (key >= limit if reverse else key > limit):
                emitted = key
                yield _instant(key, reverse)
        if bound is None:
            return


def _walk(schedule: Schedule, tz: ZoneInfo, start: datetime,
          reverse: bool) -> Iterator[datetime]:
    if schedule.once is not None:
        once = parse_instant(schedule.once, tz)
        if (once <= start) if reverse else (once > start):
            yield once
    elif schedule.cron is not None:
        yield from _cron_walk(schedule.cron, tz, start, reverse)


def _window(schedule: Schedule, tz: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    return (None if schedule.start is None else parse_instant(schedule.start, tz),
            None if schedule.end is None else parse_instant(schedule.end, tz))


def fires_after(schedule: Schedule, after: datetime) -> Iterator[datetime]:
    """Every fire strictly after ``after``, oldest first, inside the start/end window."""
    tz = zone(schedule)
    start, end = _window(schedule, tz)
    begin = after if start is None else max(after, start - _MICROSECOND)
    for instant in _walk(schedule, tz, begin, reverse=False):
        if end is not None and instant > end:
            return
        yield instant


def next_fire(schedule: Schedule, after: datetime) -> datetime | None:
    """The first fire strictly after ``after``; None when the schedule is over."""
    return next(fires_after(schedule, after), None)


def last_fire(schedule: Schedule, at: datetime) -> datetime | None:
    """The newest fire at or before ``at`` inside the window; None when there is none."""
    tz = zone(schedule)
    start, end = _window(schedule, tz)
    begin = at if end is None else min(at, end)
    newest = next(_walk(schedule, tz, begin, reverse=True), None)
    return None if newest is None or (start is not None and newest < start) else newest


# --- catch-up ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Due:
    """A cycle to start now."""

    at: datetime
    #: not the newest fire, or later than ``ON_TIME``: it was missed
    catch_up: bool


def due_cycles(schedule: Schedule, anchor: datetime, now: datetime,
               on_time: timedelta = ON_TIME) -> Iterator[Due]:
    """The cycles after ``anchor`` (the newest cycle started, or when the workflow was
    published) to start at ``now`` under the schedule's catch-up policy, oldest first.

    Lazy: a caller that stops at the first cycle it may not start yet walks no further,
    so a long backlog of a per-second cron costs nothing until it is worked off.
    """
    policy = schedule.catchup_policy
    if policy == "all":
        fires = fires_after(schedule, anchor)
        fire = next(fires, None)
        while fire is not None and fire <= now:
            following = next(fires, None)
            newest = following is None or following > now
            yield Due(fire, catch_up=not (newest and now - fire <= on_time))
            fire = following
        return
    newest = last_fire(schedule, now)
    if newest is None or newest <= anchor:
        return
    late = now - newest > on_time
    if policy == "latest" or not late:
        yield Due(newest, catch_up=late)


#: how many skipped cycles ``skipped_cycles`` counts one by one; past that it says "more"
#: (a per-second cron down for a week skipped 604,800: walking them all would hold up
#: the scheduling pass)
SKIPPED_COUNTED = 10_000


@dataclass(frozen=True)
class Skipped:
    """Cycles passed over for good: the oldest, the newest, and how many."""

    first: datetime
    last: datetime
    #: exact up to ``SKIPPED_COUNTED``; beyond, ``SKIPPED_COUNTED + 1`` ("more than")
    count: int


def skipped_cycles(schedule: Schedule, after: datetime, now: datetime,
                   due: Collection[datetime]) -> Skipped | None:
    """The fires after ``after`` up to ``now`` that are not ``due`` (what ``due_cycles``
    yields for the same ``now``), under ``none`` or ``latest``: those never run. None
    when there are none, and always under ``all``, which skips nothing.

    >>> hourly = Schedule(cron="0 * * * *", catchup="latest")
    >>> at = datetime(2026, 11, 22, 3, 30, tzinfo=UTC)
    >>> s = skipped_cycles(hourly, at - timedelta(hours=3), at, [at.replace(minute=0)])
    >>> (s.count, s.first.hour, s.last.hour)
    (2, 1, 2)
    """
    if schedule.catchup_policy == "all":
        return None
    fires = fires_after(schedule, after)
    first = next(fires, None)
    if first is None or first > now or first in due:
        return None  # the common case: the next fire is the one due, or still to come
    count, last = 1, first
    for fire in fires:
        if fire > now or fire in due:
            break
        if count == SKIPPED_COUNTED:
            newest = last_fire(schedule, now)
            while newest is not None and newest in due:
                newest = last_fire(schedule, newest - _MICROSECOND)
            return Skipped(first, newest or last, count + 1)
        count, last = count + 1, fire
    return Skipped(first, last, count)


def max_active(schedule: Schedule, due: Due) -> int | None:
    """How many scheduled runs of the workflow may be active for ``due`` to start (None:
    no cap). See the module docstring."""
    if schedule.max_active_runs is not None:
        return schedule.max_active_runs
    return 1 if due.catch_up else None

"""Schedule arithmetic (``model/schedule.py``): fire times in a time zone and across both
DST changes, ``once``, the start/end window, 6-field crons, cycles and logical dates, and
which cycles each catch-up policy makes due at an injected "now"."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from itertools import islice, pairwise, takewhile
from zoneinfo import ZoneInfo

import pytest

from jupyter_batch.model.schedule import (
    ON_TIME,
    SKIPPED_COUNTED,
    Due,
    Skipped,
    cycle_id,
    due_cycles,
    fires_after,
    last_fire,
    logical_date,
    max_active,
    next_fire,
    parse_cycle,
    skipped_cycles,
)
from jupyter_batch.model.workflow import Schedule

UTC = timezone.utc
BERLIN = "Europe/Berlin"
# Europe/Berlin in 2026: 02:00 CET becomes 03:00 CEST on 29 March; 03:00 CEST becomes
# 02:00 CET on 25 October.
SPRING, AUTUMN = "2026-03-29", "2026-10-25"


def utc(text: str) -> datetime:
    """``"2026-03-29 01:00"`` (or with seconds) as a UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def walls(instants: list[datetime | None], tz: str) -> list[str]:
    """How the clocks of ``tz`` showed each instant, with the offset: ``03:00+02:00``."""
    return [i.astimezone(ZoneInfo(tz)).isoformat(timespec="minutes")[11:]
            for i in instants if i is not None]


def fires_on(schedule: Schedule, day: str) -> list[datetime]:
    """Every fire whose logical date is ``day``."""
    begin = utc(day) - timedelta(days=1)
    fires: Iterator[datetime] = fires_after(schedule, begin)
    return [f for f in takewhile(lambda f: logical_date(schedule, f) <= day, fires)
            if logical_date(schedule, f) == day]


# --- cron in a time zone ---------------------------------------------------------------------

def test_fires_are_strictly_after_the_given_instant() -> None:
    daily = Schedule(cron="0 2 * * *")

    assert list(islice(fires_after(daily, utc("2026-11-20 02:00")), 2)) == [
        utc("2026-11-21 02:00"), utc("2026-11-22 02:00")]
    assert next_fire(daily, utc("2026-11-20 01:59:59")) == utc("2026-11-20 02:00")


def test_a_cron_names_wall_clock_times_in_its_time_zone() -> None:
    daily = Schedule(cron="0 2 * * *", timezone=BERLIN)

    assert next_fire(daily, utc("2026-01-10 00:00")) == utc("2026-01-10 01:00")  # CET
    assert next_fire(daily, utc("2026-07-09 12:00")) == utc("2026-07-10 00:00")  # CEST


def test_six_fields_put_the_seconds_last() -> None:
    quarter = Schedule(cron="* * * * * */15")
    at_thirty = Schedule(cron="0 0 * * * 30")

    assert list(islice(fires_after(quarter, utc("2026-11-20 10:00:05")), 4)) == [
        utc("2026-11-20 10:00:15"), utc("2026-11-20 10:00:30"), utc("2026-11-20 10:00:45"),
        utc("2026-11-20 10:01:00")]
    assert next_fire(at_thirty, utc("2026-11-20 10:00")) == utc("2026-11-21 00:00:30")


def test_a_cron_that_never_matches_has_no_fires() -> None:
    never = Schedule(cron="0 0 30 2 *")

    assert next_fire(never, utc("2026-01-01 00:00")) is None
    assert last_fire(never, utc("2026-01-01 00:00")) is None


# --- daylight saving time --------------------------------------------------------------------

def test_spring_forward_a_skipped_daily_time_fires_once_when_the_clocks_jump() -> None:
    daily = Schedule(cron="30 2 * * *", timezone=BERLIN)

    fires = list(islice(fires_after(daily, utc("2026-03-27 12:00")), 3))

    assert fires == [utc("2026-03-28 01:30"), utc("2026-03-29 01:00"), utc("2026-03-30 00:30")]
    assert walls(fires, BERLIN) == ["02:30+01:00", "03:00+02:00", "02:30+02:00"]
    assert [logical_date(daily, f) for f in fires] == ["2026-03-28", SPRING, "2026-03-30"]


def test_spring_forward_an_hourly_cron_fires_23_times_on_the_23_hour_day() -> None:
    hourly = Schedule(cron="0 * * * *", timezone=BERLIN)

    fires = fires_on(hourly, SPRING)

    assert len(fires) == 23
    assert walls(fires[1:4], BERLIN) == ["01:00+01:00", "03:00+02:00", "04:00+02:00"]
    assert all(b - a == timedelta(hours=1) for a, b in pairwise(fires))


def test_spring_forward_fires_named_in_the_gap_collapse_into_the_jump() -> None:
    half_hourly = Schedule(cron="*/30 * * * *", timezone=BERLIN)

    fires = list(islice(fires_after(half_hourly, utc("2026-03-29 00:15")), 4))

    # 02:00 and 02:30 do not exist: both fire at 03:00 CEST, as one fire
    assert walls(fires, BERLIN) == ["01:30+01:00", "03:00+02:00", "03:30+02:00", "04:00+02:00"]


def test_fall_back_a_repeated_daily_time_fires_at_its_first_occurrence_only() -> None:
    daily = Schedule(cron="30 2 * * *", timezone=BERLIN)

    fires = list(islice(fires_after(daily, utc("2026-10-24 12:00")), 2))

    assert fires == [utc("2026-10-25 00:30"), utc("2026-10-26 01:30")]
    assert walls(fires, BERLIN) == ["02:30+02:00", "02:30+01:00"]


def test_fall_back_an_hourly_cron_keeps_its_pace_through_the_repeated_hour() -> None:
    hourly = Schedule(cron="0 * * * *", timezone=BERLIN)

    fires = fires_on(hourly, AUTUMN)

    assert len(fires) == 25
    assert walls(fires[1:5], BERLIN) == ["01:00+02:00", "02:00+02:00", "02:00+01:00",
                                         "03:00+01:00"]
    assert all(b - a == timedelta(hours=1) for a, b in pairwise(fires))


def test_fall_back_a_listed_hour_is_not_every_hour() -> None:
    listed = Schedule(cron="0 1-3 * * *", timezone=BERLIN)

    assert walls(fires_on(listed, AUTUMN), BERLIN) == ["01:00+02:00", "02:00+02:00",
                                                       "03:00+01:00"]


def test_fires_are_found_from_inside_the_repeated_hour() -> None:
    every_ten = Schedule(cron="*/10 * * * *", timezone=BERLIN)
    daily = Schedule(cron="30 2 * * *", timezone=BERLIN)
    first_0215, second_0215 = utc("2026-10-25 00:15"), utc("2026-10-25 01:15")

    assert walls(list(islice(fires_after(every_ten, first_0215), 2)), BERLIN) == [
        "02:20+02:00", "02:30+02:00"]
    assert walls(list(islice(fires_after(every_ten, second_0215), 2)), BERLIN) == [
        "02:20+01:00", "02:30+01:00"]
    assert walls([last_fire(every_ten, second_0215)], BERLIN) == ["02:10+01:00"]
    assert last_fire(daily, first_0215) == utc("2026-10-24 00:30")
    assert last_fire(daily, second_0215) == utc("2026-10-25 00:30")
    assert next_fire(daily, first_0215) == utc("2026-10-25 00:30")
    assert next_fire(daily, second_0215) == utc("2026-10-26 01:30")


def test_a_half_hour_dst_change_fires_at_the_jump() -> None:
    # Lord Howe Island moves its clocks from 02:00 to 02:30 on 4 October 2026
    daily = Schedule(cron="15 2 * * *", timezone="Australia/Lord_Howe")

    fire = next_fire(daily, utc("2026-10-03 12:00"))

    assert fire is not None
    assert walls([fire], "Australia/Lord_Howe") == ["02:30+11:00"]


def test_the_newest_fire_at_or_before_an_instant() -> None:
    hourly = Schedule(cron="0 * * * *", timezone=BERLIN)

    assert last_fire(hourly, utc("2026-03-29 00:59:59")) == utc("2026-03-29 00:00")
    assert last_fire(hourly, utc("2026-03-29 01:00")) == utc("2026-03-29 01:00")
    assert last_fire(hourly, utc("2026-10-25 01:30")) == utc("2026-10-25 01:00")


# --- once and the window ---------------------------------------------------------------------

def test_once_fires_at_its_instant_and_never_again() -> None:
    once = Schedule(once="2026-12-01T02:00:00+01:00")

    assert next_fire(once, utc("2026-11-30 00:00")) == utc("2026-12-01 01:00")
    assert next_fire(once, utc("2026-12-01 01:00")) is None
    assert last_fire(once, utc("2026-12-01 00:59:59")) is None
    assert last_fire(once, utc("2026-12-02 00:00")) == utc("2026-12-01 01:00")


def test_a_naive_once_is_in_the_schedule_time_zone_else_utc() -> None:
    before = utc("2026-01-01 00:00")

    assert next_fire(Schedule(once="2026-07-01T02:00:00"), before) == utc("2026-07-01 02:00")
    assert next_fire(Schedule(once="2026-07-01T02:00:00", timezone=BERLIN),
                     before) == utc("2026-07-01 00:00")
    assert next_fire(Schedule(once="2026-03-29T02:30:00", timezone=BERLIN),
                     before) == utc("2026-03-29 01:00")


def test_once_keeps_fractions_of_a_second() -> None:
    once = Schedule(once="2026-12-01T02:00:00.250Z")

    fire = next_fire(once, utc("2026-12-01 00:00"))

    assert fire is not None and cycle_id(fire) == "2026-12-01T02:00:00.250000+00:00"


def test_the_window_bounds_fires_both_ends_inclusive() -> None:
    daily = Schedule(cron="0 2 * * *", start="2026-11-20T02:00:00Z", end="2026-11-22T02:00:00Z")

    assert list(fires_after(daily, utc("2026-11-01 00:00"))) == [
        utc("2026-11-20 02:00"), utc("2026-11-21 02:00"), utc("2026-11-22 02:00")]
    assert last_fire(daily, utc("2026-11-30 00:00")) == utc("2026-11-22 02:00")
    assert last_fire(daily, utc("2026-11-19 03:00")) is None


def test_a_naive_window_is_in_the_schedule_time_zone() -> None:
    daily = Schedule(cron="0 2 * * *", timezone=BERLIN, start="2026-11-21T02:00:00")

    assert next_fire(daily, utc("2026-11-01 00:00")) == utc("2026-11-21 01:00")


# --- cycles and logical dates ----------------------------------------------------------------

def test_a_cycle_is_the_fire_instant_in_utc_and_sorts_in_time_order() -> None:
    instants = [utc("2026-11-22 02:00"), utc("2026-11-22 02:00:00.5"), utc("2026-11-22 02:00:01")]
    berlin_time = datetime.fromisoformat("2026-11-22T03:00:00+01:00")

    cycles = [cycle_id(i) for i in instants]

    assert cycles[0] == "2026-11-22T02:00:00+00:00" == cycle_id(berlin_time)
    assert sorted(cycles) == cycles
    assert [parse_cycle(c) for c in cycles] == instants


def test_the_logical_date_is_the_fire_date_in_the_schedule_time_zone() -> None:
    late = Schedule(cron="30 0 * * *", timezone=BERLIN)

    fire = next_fire(late, utc("2026-11-20 12:00"))

    assert fire == utc("2026-11-20 23:30")
    assert logical_date(late, fire) == "2026-11-21"
    assert logical_date(Schedule(cron="30 0 * * *"), fire) == "2026-11-20"


# --- catch-up --------------------------------------------------------------------------------

HOURLY = "0 * * * *"
PUBLISHED = utc("2026-11-20 00:30")


def due(policy: str, now: datetime, anchor: datetime = PUBLISHED, **fields: object) -> list[Due]:
    return list(due_cycles(Schedule(cron=HOURLY, catchup=policy, **fields), anchor, now))


@pytest.mark.parametrize("policy", ["none", "latest", "all"])
def test_a_cycle_due_now_runs_under_every_policy(policy: str) -> None:
    now = utc("2026-11-20 01:00:00.050")

    assert due(policy, now) == [Due(utc("2026-11-20 01:00"), catch_up=False)]


@pytest.mark.parametrize("policy", ["none", "latest", "all"])
def test_nothing_is_due_before_the_first_fire_after_the_anchor(policy: str) -> None:
    assert due(policy, utc("2026-11-20 00:59:59")) == []
    assert due(policy, utc("2026-11-20 01:00:10"), anchor=utc("2026-11-20 01:00")) == []


def test_none_runs_a_cycle_found_within_the_on_time_tolerance() -> None:
    fire = utc("2026-11-20 01:00")

    assert due("none", fire + ON_TIME) == [Due(fire, catch_up=False)]
    assert due("none", fire + ON_TIME + timedelta(seconds=1)) == []


def test_none_skips_every_missed_cycle() -> None:
    assert due("none", utc("2026-11-20 04:20")) == []


def test_latest_runs_only_the_newest_missed_cycle() -> None:
    assert due("latest", utc("2026-11-20 04:20")) == [Due(utc("2026-11-20 04:00"),
                                                          catch_up=True)]


def test_all_runs_every_missed_cycle_oldest_first() -> None:
    missed = due("all", utc("2026-11-20 04:20"))
    with_one_on_time = due("all", utc("2026-11-20 04:00:02"))

    assert missed == [Due(utc(f"2026-11-20 0{h}:00"), catch_up=True) for h in (1, 2, 3, 4)]
    assert with_one_on_time[-1] == Due(utc("2026-11-20 04:00"), catch_up=False)
    assert all(d.catch_up for d in with_one_on_time[:-1])


def test_catch_up_starts_after_the_last_cycle_not_the_publish_time() -> None:
    assert [d.at for d in due("all", utc("2026-11-20 04:20"), anchor=utc("2026-11-20 02:00"))
            ] == [utc("2026-11-20 03:00"), utc("2026-11-20 04:00")]


def test_catch_up_stays_inside_the_window() -> None:
    ended = due("all", utc("2026-11-20 06:20"), end="2026-11-20T02:00:00Z")
    latest = due("latest", utc("2026-11-20 06:20"), end="2026-11-20T02:00:00Z")

    assert [d.at for d in ended] == [utc("2026-11-20 01:00"), utc("2026-11-20 02:00")]
    assert [d.at for d in latest] == [utc("2026-11-20 02:00")]


def test_a_missed_once_follows_the_policy() -> None:
    once = "2026-11-20T01:00:00Z"
    now = utc("2026-11-20 05:00")

    assert list(due_cycles(Schedule(once=once), PUBLISHED, now)) == []
    for policy in ("latest", "all"):
        assert list(due_cycles(Schedule(once=once, catchup=policy), PUBLISHED, now)) == [
            Due(utc("2026-11-20 01:00"), catch_up=True)]


def test_a_long_backlog_costs_only_what_is_taken() -> None:
    every_second = Schedule(cron="* * * * * *", catchup="all")
    year_ago = utc("2025-11-20 00:00")

    started = time.perf_counter()
    first = next(due_cycles(every_second, year_ago, utc("2026-11-20 00:00")))
    newest = list(due_cycles(Schedule(cron="* * * * * *", catchup="latest"), year_ago,
                             utc("2026-11-20 00:00")))

    assert time.perf_counter() - started < 1.0
    assert first == Due(utc("2025-11-20 00:00:01"), catch_up=True)
    assert newest == [Due(utc("2026-11-20 00:00"), catch_up=False)]


# --- skipped cycles --------------------------------------------------------------------------

def skipped(policy: str, now: datetime, after: datetime = PUBLISHED) -> Skipped | None:
    schedule = Schedule(cron=HOURLY, catchup=policy)
    dues = [d.at for d in due_cycles(schedule, after, now)]
    return skipped_cycles(schedule, after, now, dues)


def test_none_skips_every_missed_cycle_and_says_which() -> None:
    late = utc("2026-11-20 04:20")
    back_on_time = utc("2026-11-20 05:00:01")

    assert skipped("none", late) == Skipped(utc("2026-11-20 01:00"), utc("2026-11-20 04:00"), 4)
    # the next fire runs on time; the ones before it were skipped
    assert skipped("none", back_on_time) == Skipped(utc("2026-11-20 01:00"),
                                                    utc("2026-11-20 04:00"), 4)


def test_latest_skips_all_but_the_newest() -> None:
    assert skipped("latest", utc("2026-11-20 04:20")) == Skipped(
        utc("2026-11-20 01:00"), utc("2026-11-20 03:00"), 3)


@pytest.mark.parametrize(("policy", "now"), [
    ("none", utc("2026-11-20 01:00:01")),  # on time: nothing missed
    ("latest", utc("2026-11-20 01:20")),  # the one missed cycle is the one it runs
    ("none", utc("2026-11-20 00:50")),  # no fire yet
    ("all", utc("2026-11-20 04:20")),  # all runs every one
])
def test_nothing_is_skipped(policy: str, now: datetime) -> None:
    assert skipped(policy, now) is None


def test_a_long_run_of_skipped_cycles_is_counted_only_so_far() -> None:
    every_second = Schedule(cron="* * * * * *")
    now = utc("2026-11-20 00:00:00.5")

    started = time.perf_counter()
    found = skipped_cycles(every_second, utc("2026-11-13 00:00"), now, [])

    assert time.perf_counter() - started < 2.0
    assert found == Skipped(utc("2026-11-13 00:00:01"), utc("2026-11-20 00:00"),
                            SKIPPED_COUNTED + 1)


# --- max_active_runs -------------------------------------------------------------------------

def test_catch_up_runs_one_at_a_time_and_on_time_fires_are_not_capped() -> None:
    schedule = Schedule(cron=HOURLY, catchup="all")

    assert max_active(schedule, Due(PUBLISHED, catch_up=True)) == 1
    assert max_active(schedule, Due(PUBLISHED, catch_up=False)) is None


def test_max_active_runs_caps_every_scheduled_start() -> None:
    schedule = Schedule(cron=HOURLY, catchup="all", max_active_runs=3)

    assert max_active(schedule, Due(PUBLISHED, catch_up=True)) == 3
    assert max_active(schedule, Due(PUBLISHED, catch_up=False)) == 3

"""Logical dates and the placeholders derived from them: one way to write a date, and
dates whose neighbours (``prev_ds``, ``next_ds``, ``${ds-N}``) exist."""

from __future__ import annotations

from datetime import date

import pytest

from jupyter_batch.errors import InvalidInput
from jupyter_batch.model.variables import expand, parse_logical_date


def test_a_logical_date_is_written_yyyy_mm_dd() -> None:
    assert parse_logical_date("2026-01-31") == date(2026, 1, 31)
    assert parse_logical_date("0001-01-02") == date(1, 1, 2)
    assert parse_logical_date("9999-12-30") == date(9999, 12, 30)


@pytest.mark.parametrize(("text", "message"), [
    ("20260131", "logical date '20260131' must be written YYYY-MM-DD, like 2026-11-22"),
    ("2026-1-31", "logical date '2026-1-31' must be written YYYY-MM-DD, like 2026-11-22"),
    ("2026-W05-6", "logical date '2026-W05-6' must be written YYYY-MM-DD, like 2026-11-22"),
    ("2026-02-30", "logical date '2026-02-30' is not a date: day is out of range for month"),
    ("0001-01-01", "logical date 0001-01-01 is out of range: a run needs the days before "
                   "and after it, so it must be from 0001-01-02 to 9999-12-30"),
    ("9999-12-31", "logical date 9999-12-31 is out of range: a run needs the days before "
                   "and after it, so it must be from 0001-01-02 to 9999-12-30"),
])
def test_a_date_written_otherwise_or_without_neighbours_is_refused(text: str,
                                                                   message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_logical_date(text)

    assert str(raised.value) == message


def test_a_date_offset_leaving_the_calendar_says_so() -> None:
    assert expand("${ds-7}", {"ds": "0001-01-08"}) == "0001-01-01"

    with pytest.raises(InvalidInput) as raised:
        expand("${ds_nodash-9999}", {"ds": "0010-01-01"})

    assert str(raised.value) == ("${ds_nodash-9999} is out of range: 0010-01-01 - 9999 days "
                                 "is not a date from 0001-01-01 to 9999-12-31")

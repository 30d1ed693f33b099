"""Legal dates: business days, roll-forward, calendar periods, the Friday bulletin."""

from datetime import UTC, date, datetime

import pytest

from cee_workflow.states.calendar import (
    add_period,
    first_friday_on_or_after,
    is_business_day,
    legal_date,
    roll_forward,
    start_of_legal_day,
)


@pytest.mark.parametrize("day, expected", [
    (date(2025, 8, 6), date(2025, 8, 6)),    # a Wednesday stays
    (date(2025, 8, 9), date(2025, 8, 11)),   # Saturday → Monday
    (date(2025, 8, 10), date(2025, 8, 11)),  # Sunday → Monday
    (date(2025, 9, 1), date(2025, 9, 2)),    # Labor Day → Tuesday
    (date(2025, 7, 4), date(2025, 7, 7)),    # Independence Day (Friday) → Monday
    (date(2025, 12, 25), date(2025, 12, 26)),  # Christmas (Thursday) → Friday
    (date(2026, 7, 3), date(2026, 7, 6)),    # July 4 2026 is a Saturday: observed Friday 3rd
    (date(2025, 6, 19), date(2025, 6, 20)),  # Juneteenth
])
def test_roll_forward_to_next_business_day(day, expected):
    assert roll_forward(day) == expected
    assert is_business_day(expected)


def test_calendar_periods_clip_to_month_end():
    assert add_period(date(2024, 2, 29), years=1) == date(2025, 2, 28)
    assert add_period(date(2025, 1, 31), months=1) == date(2025, 2, 28)
    assert add_period(date(2024, 1, 31), months=1) == date(2024, 2, 29)
    assert add_period(date(2025, 8, 31), months=6) == date(2026, 2, 28)


@pytest.mark.parametrize("day, friday", [
    (date(2025, 11, 17), date(2025, 11, 21)),
    (date(2025, 11, 21), date(2025, 11, 21)),
    (date(2025, 11, 22), date(2025, 11, 28)),
])
def test_first_friday_on_or_after(day, friday):
    assert first_friday_on_or_after(day) == friday


def test_legal_date_is_eastern():
    # 03:30 UTC on March 11 is still March 10 in New York (EDT began March 9, 2025).
    assert legal_date(datetime(2025, 3, 11, 3, 30, tzinfo=UTC)) == date(2025, 3, 10)
    assert legal_date(datetime(2025, 3, 11, 4, 0, tzinfo=UTC)) == date(2025, 3, 11)
    assert start_of_legal_day(date(2025, 3, 11)).astimezone(UTC) == datetime(
        2025, 3, 11, 4, tzinfo=UTC)
    assert start_of_legal_day(date(2025, 1, 6)).astimezone(UTC) == datetime(
        2025, 1, 6, 5, tzinfo=UTC)

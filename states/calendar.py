"""Legal dates (REFERENCE.md §6).

Statutory periods are calendar periods. A filing deadline of the trade whose last day falls on a
weekend or a national holiday of 19 CFR 101.6(a) rolls to the next business day (T.D. 53961);
operation-of-law events never roll. Legal dates are dates in America/New_York.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.relativedelta import FR, relativedelta

LEGAL_TZ = ZoneInfo("America/New_York")
# The years a legal date given to the engine may fall in. Its periods run years past a date
# (a deemed liquidation four years after entry, 19 U.S.C. 1504(a)-(b); a penalty period of five,
# 19 U.S.C. 1621), so a date near the calendar's end (9999-12-31) would overflow; and no entry,
# protest or disclosure it records is older than the statute it applies. Outside: bad input.
FIRST_YEAR, LAST_YEAR = 1900, 2199


def out_of_range(day: date) -> str | None:
    """Why `day` is outside the years the engine computes on, or None."""
    if FIRST_YEAR <= day.year <= LAST_YEAR:
        return None
    return f"{day.isoformat()} is outside the years {FIRST_YEAR}–{LAST_YEAR} the engine handles"


@lru_cache(maxsize=64)
def _federal_holidays(year: int) -> frozenset[date]:
    # 19 CFR 101.6(a) lists the national holidays: the federal holidays of 5 U.S.C. 6103(a),
    # which is what the `holidays` package's US "public" calendar holds. Imported here: it costs
    # ~0.1 s, and most commands (`cee case show`) never ask for a business day.
    import holidays

    return frozenset(holidays.country_holidays("US", years=year))


def is_business_day(day: date) -> bool:
    """Monday–Friday except national holidays (19 CFR 101.1, 101.6(a))."""
    return day.weekday() < 5 and day not in _federal_holidays(day.year)


def roll_forward(day: date) -> date:
    """The day itself if a business day, else the next business day (T.D. 53961)."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


@lru_cache(maxsize=65_536)  # pure; a bulletin adds the same periods to the same few days
def add_period(day: date, *, years: int = 0, months: int = 0, days: int = 0) -> date:
    """Calendar arithmetic: Feb 29 + 1 year is Feb 28; Jan 31 + 1 month is Feb 28/29."""
    return day + relativedelta(years=years, months=months, days=days)


def first_friday_on_or_after(day: date) -> date:
    """Liquidations post on the Friday bulletin (REFERENCE.md §1)."""
    return day + relativedelta(weekday=FR(0))


def auto_liquidation_date(entry_date: date, cycle_days: int) -> date:
    """The date an entry is set to liquidate unless an officer schedules it: the first Friday
    bulletin on or after `cycle_days` (314) from entry (ACE cycle, REFERENCE.md §1)."""
    return first_friday_on_or_after(entry_date + timedelta(days=cycle_days))


def bulletin_for(processing_day: date) -> date:
    """The Friday bulletin an item processed on `processing_day` posts on.

    Items processed by 11:59:59 pm ET Wednesday post that Friday; later ones the Friday after
    (ACE liquidation practice, REFERENCE.md §1). That is the first Friday at least 2 days later.
    """
    return first_friday_on_or_after(processing_day + timedelta(days=2))


def legal_date(instant: datetime) -> date:
    """The date in America/New_York of an aware instant."""
    return instant.astimezone(LEGAL_TZ).date()


def start_of_legal_day(day: date) -> datetime:
    """00:00 America/New_York of `day`, as an aware datetime (convert to UTC to store)."""
    return datetime.combine(day, time.min, tzinfo=LEGAL_TZ)

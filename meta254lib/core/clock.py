"""The one rule for time: every timestamp meta254 compares is a UTC :class:`pandas.Timestamp`.

Naive values are read as UTC, aware values are converted to UTC, and a date without a time means
midnight UTC. Every module that turns a value into a point in time goes through this module; it is
the only place that localises or converts time zones (the maintenance-window schedule, which works
in a team's local time, converts with :func:`to_zone`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd

from .errors import ParameterError

#: ISO 8601 as meta254 accepts it from users: a date, or a date and time with an optional offset.
ISO_8601 = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?")
#: The range of analysis dates: plans, burn-downs and weekly windows around them stay within what
#: pandas can hold in nanoseconds (1677..2262), with decades to spare.
EARLIEST_AS_OF = pd.Timestamp("1970-01-01", tz="UTC")
LATEST_AS_OF = pd.Timestamp("2199-12-31T23:59:59", tz="UTC")
#: How errors name the accepted forms.
ISO_EXPECTED = "an ISO 8601 date or time: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]"

__all__ = [
    "MAX_TIME",
    "MIN_TIME",
    "TimeOutOfRange",
    "history_cutoff",
    "resolve_as_of",
    "to_utc",
    "to_utc_bounded",
    "to_utc_index",
    "to_zone",
]


def to_utc(value: Any) -> pd.Timestamp:
    """A timestamp in UTC; naive values are taken as UTC.

    Raises ``ValueError`` (or ``TypeError``) when ``value`` is not a time; callers that must not fail
    catch it (see :func:`resolve_as_of` for the as-of rule with its error message).

    Examples
    --------
    >>> to_utc("2025-10-09")
    Timestamp('2025-10-09 00:00:00+0000', tz='UTC')
    >>> to_utc("2025-10-10T12:00:00+02:00").isoformat()
    '2025-10-10T10:00:00+00:00'
    """
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        return ts
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def to_utc_index(values: Any) -> pd.DatetimeIndex:
    """A :class:`~pandas.DatetimeIndex` in UTC; naive values are taken as UTC.

    Examples
    --------
    >>> list(to_utc_index(["2025-10-09", "2025-10-10"]).strftime("%F %Z"))
    ['2025-10-09 UTC', '2025-10-10 UTC']
    """
    idx = pd.DatetimeIndex(values)
    return idx.tz_localize("UTC") if idx.tz is None else idx.tz_convert("UTC")


def to_zone(values: Any, tz: Any) -> Any:
    """UTC times (a timestamp or an index) shown in the time zone ``tz``.

    Examples
    --------
    >>> to_zone(pd.Timestamp("2025-10-10T12:00Z"), "Europe/Berlin").isoformat()
    '2025-10-10T14:00:00+02:00'
    """
    return values.tz_convert(tz)


def resolve_as_of(as_of: Any, default: Any = None) -> pd.Timestamp:
    """The as-of time as a UTC timestamp: ``as_of`` if given, else ``default`` (catalog generated_at).

    A date without a time means midnight UTC; naive times are read as UTC.

    Raises
    ------
    ParameterError
        When neither is given or the value does not parse.

    Examples
    --------
    >>> resolve_as_of("2025-10-10")
    Timestamp('2025-10-10 00:00:00+0000', tz='UTC')
    >>> resolve_as_of(None, "2025-10-09T22:30:38.509155+00:00").isoformat()
    '2025-10-09T22:30:38.509155+00:00'
    >>> resolve_as_of("09/10/2025")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    meta254lib.core.errors.ParameterError: as_of '09/10/2025' is not an ISO 8601 date or time: YYYY-MM-DD or ...
    """
    value = as_of if as_of is not None and not (isinstance(as_of, str) and not as_of.strip()) else default
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        raise ParameterError("as_of is required: give a date (YYYY-MM-DD) or a catalog with metadata.generated_at")
    if isinstance(value, str) and not ISO_8601.fullmatch(value.strip()):
        raise ParameterError(f"as_of {value!r} is not {ISO_EXPECTED}")
    try:
        ts = pd.Timestamp(value.strip() if isinstance(value, str) else value)
    except (ValueError, TypeError):
        raise ParameterError(f"as_of {value!r} is not {ISO_EXPECTED}") from None
    if pd.isna(ts):
        raise ParameterError(f"as_of {value!r} is not a date or time")
    ts = to_utc(ts).as_unit("us")
    if not LATEST_AS_OF >= ts >= EARLIEST_AS_OF:
        raise ParameterError(
            f"as_of {ts:%Y-%m-%d} is outside {EARLIEST_AS_OF:%Y-%m-%d}..{LATEST_AS_OF:%Y-%m-%d}, the dates meta254 "
            "can schedule and chart (plans and weekly windows reach years beyond the as-of)"
        )
    return ts


def history_cutoff(as_of: Any) -> pd.Timestamp:
    """The newest artifact time that counts "as of" ``as_of``: the end of that UTC day.

    A snapshot or report written later on the as-of day belongs to that day (the platform writes its
    quality snapshot seconds after the catalog whose ``generated_at`` is the default ``as_of``).

    Examples
    --------
    >>> str(history_cutoff("2025-10-09T22:30:38+00:00"))
    '2025-10-09 23:59:59.999999+00:00'
    """
    return to_utc(as_of).normalize() + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)


#: The earliest and the latest instant meta254 represents: Python's datetime range, at microseconds, in UTC.
MIN_TIME = pd.Timestamp("0001-01-01T00:00:00", tz="UTC").as_unit("us")
MAX_TIME = pd.Timestamp("9999-12-31T23:59:59.999999", tz="UTC").as_unit("us")


_LONG_YEAR = re.compile(r"\s*[+-]?\d{5,}-\d{2}-\d{2}")


class TimeOutOfRange(ValueError):
    """A time that is a time, but outside :data:`MIN_TIME` .. :data:`MAX_TIME` (or unreadable at any precision)."""


def to_utc_bounded(value: Any) -> pd.Timestamp:
    """:func:`to_utc` for times read from files: far-future and far-past values never crash.

    A time that pandas cannot hold at nanosecond precision (year 9999 written with nine decimals)
    is read at microsecond precision; a time outside :data:`MIN_TIME` .. :data:`MAX_TIME` (in UTC),
    which no report could print, raises :class:`TimeOutOfRange`. Anything else is exactly
    :func:`to_utc` (``ValueError``/``TypeError`` when ``value`` is not a time).

    Examples
    --------
    >>> to_utc_bounded("9999-12-31T23:59:59.123456789Z").isoformat()
    '9999-12-31T23:59:59.123456+00:00'
    >>> to_utc_bounded("2025-10-10T12:00:00+02:00") == to_utc("2025-10-10T12:00:00+02:00")
    True
    >>> to_utc_bounded("9999-12-31T23:00:00-05:00")
    Traceback (most recent call last):
    ...
    meta254lib.core.clock.TimeOutOfRange: '9999-12-31T23:00:00-05:00' is outside 0001-01-01 to 9999-12-31 UTC
    >>> to_utc_bounded("10000-01-01")
    Traceback (most recent call last):
    ...
    meta254lib.core.clock.TimeOutOfRange: '10000-01-01' is outside 0001-01-01 to 9999-12-31 UTC
    """
    problem = f"{value!r} is outside 0001-01-01 to 9999-12-31 UTC"
    try:
        ts = pd.Timestamp(value)
    except pd.errors.OutOfBoundsDatetime:
        if not isinstance(value, str):
            raise TimeOutOfRange(problem) from None
        try:
            ts = pd.Timestamp(dt.datetime.fromisoformat(value.strip()))  # microseconds: extra digits dropped
        except (ValueError, OverflowError):
            raise TimeOutOfRange(problem) from None
    except (OverflowError, NotImplementedError):
        raise TimeOutOfRange(problem) from None
    except ValueError:
        if isinstance(value, str) and _LONG_YEAR.match(value):  # year 10000 and later: a time, out of range
            raise TimeOutOfRange(problem) from None
        raise
    if ts is pd.NaT:
        return ts
    try:
        if ts.tzinfo is None:
            out = ts.tz_localize("UTC")
        else:  # by the offset, not through Python's datetime (which ends at year 9999)
            out = (ts.tz_localize(None) - ts.utcoffset()).tz_localize("UTC")
        fits = MIN_TIME <= out <= MAX_TIME
    except (OverflowError, NotImplementedError, ValueError):
        raise TimeOutOfRange(problem) from None
    if not fits:
        raise TimeOutOfRange(problem)
    return out

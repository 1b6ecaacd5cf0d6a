"""The as-of date of a report run: parsing ``--as-of``, the ISO week label and how the date is shown."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..core.clock import to_utc
from ..core.errors import ParameterError

__all__ = ["as_of_param", "as_of_text", "iso_week", "parse_as_of"]


def iso_week(as_of: Any) -> str:
    """The ISO week label of a date: ``2025-W41``.

    Examples
    --------
    >>> iso_week(pd.Timestamp("2025-10-10", tz="UTC")), iso_week(pd.Timestamp("2021-01-03"))
    ('2025-W41', '2020-W53')
    """
    year, week, _ = as_of.isocalendar()
    return f"{year}-W{week:02d}"


def parse_as_of(value: str | None) -> pd.Timestamp | None:
    """The ``--as-of`` option as a UTC timestamp; None when it is not given.

    Raises
    ------
    ParameterError
        The value is not a date or time.

    Examples
    --------
    >>> parse_as_of("2025-10-10").isoformat(), parse_as_of("") is None
    ('2025-10-10T00:00:00+00:00', True)
    """
    if value is None or value == "":
        return None
    try:
        ts = to_utc(value)
    except (ValueError, TypeError) as err:
        raise ParameterError(f"--as-of: expected an ISO date such as 2025-10-10, found {value!r}") from err
    if ts is pd.NaT:
        raise ParameterError(f"--as-of: expected an ISO date such as 2025-10-10, found {value!r}")
    return ts


def as_of_param(ts: pd.Timestamp | None) -> str | None:
    """The ``as_of`` notebook parameter: the date alone at midnight, else the ISO timestamp.

    Examples
    --------
    >>> as_of_param(pd.Timestamp("2025-10-10", tz="UTC")), as_of_param(None)
    ('2025-10-10', None)
    """
    if ts is None:
        return None
    if (ts.hour, ts.minute, ts.second, ts.microsecond) == (0, 0, 0, 0):
        return ts.date().isoformat()
    return ts.isoformat()


def as_of_text(ts: pd.Timestamp) -> str:
    """The as-of date as pages show it.

    Examples
    --------
    >>> as_of_text(pd.Timestamp("2025-10-10", tz="UTC")), as_of_text(pd.Timestamp("2025-10-10T08:30Z"))
    ('2025-10-10', '2025-10-10 08:30 UTC')
    """
    if (ts.hour, ts.minute, ts.second) == (0, 0, 0):
        return ts.strftime("%Y-%m-%d")
    return ts.strftime("%Y-%m-%d %H:%M UTC")

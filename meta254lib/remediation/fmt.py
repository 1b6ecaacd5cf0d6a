"""Plain-text and calendar-day formatting shared by the remediation plan's modules."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from ..core.clock import to_utc

__all__ = ["iso_day", "listing", "text", "utc_day"]


def text(v: Any) -> str:
    """A value as text; every missing value (``None``, ``NaN``, ``pd.NA``, ``NaT``) is ``""``.

    Examples
    --------
    >>> text(None), text(float("nan")), text(3)
    ('', '', '3')
    """
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, float) and math.isnan(v):
        return ""
    return str(v)


def utc_day(ts: pd.Timestamp) -> pd.Timestamp:
    """Midnight UTC of the UTC day of ``ts`` (microsecond unit).

    Examples
    --------
    >>> utc_day(pd.Timestamp("2025-10-10T23:30:00+02:00")).isoformat()
    '2025-10-10T00:00:00+00:00'
    """
    return to_utc(ts).normalize().as_unit("us")


def iso_day(ts: Any) -> str | None:
    """``YYYY-MM-DD`` of a time, ``None`` when it is missing.

    Examples
    --------
    >>> iso_day(pd.Timestamp("2025-10-10T12:00Z")), iso_day(pd.NaT)
    ('2025-10-10', None)
    """
    if ts is None or (not isinstance(ts, str) and pd.isna(ts)):
        return None
    return pd.Timestamp(ts).strftime("%Y-%m-%d")


def listing(names: Sequence[str], total: int, limit: int) -> str:
    """``a, b, c`` — at most ``limit`` names, then how many more; ``none`` for no name.

    Examples
    --------
    >>> listing(["a", "b", "c"], 7, 2), listing([], 0, 5)
    ('a, b, and 5 more', 'none')
    """
    if total <= 0:
        return "none"
    shown = list(names[:limit])
    more = total - len(shown)
    return ", ".join(shown) + (f", and {more} more" if more > 0 else "")

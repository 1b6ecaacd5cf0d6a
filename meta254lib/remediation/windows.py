"""Maintenance windows of upgrade-policies.yaml: cron-field parsing, the window rule and time-zone names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..core.errors import InputError

__all__ = ["POLICY_FILE", "MaintenanceWindow", "parse_cron_field", "zone"]

#: Where the upgrade policy is read from (named in errors and in the plan's policy source).
POLICY_FILE = "config/upgrade-policies.yaml"


def parse_cron_field(text: str, lo: int, hi: int, file: str, fld: str) -> frozenset[int]:
    """The values one cron field matches, from ``lo`` to ``hi``.

    Parameters
    ----------
    text : str
        The field: numbers, ranges ``a-b``, lists ``a,b``, ``*`` and ``/step``.
    lo, hi : int
        The field's allowed range.
    file, fld : str
        Where the field comes from (named in errors).

    Raises
    ------
    InputError
        When the field does not parse or leaves the range.

    Examples
    --------
    >>> sorted(parse_cron_field("1-5/2,7", 0, 7, "f", "cron"))
    [1, 3, 5, 7]
    """
    out: set[int] = set()
    for token in str(text).split(","):
        token = token.strip()
        m = re.fullmatch(r"(\*|\d+(?:-\d+)?)(?:/(\d+))?", token)
        if not m:
            raise InputError(file, fld, "a cron field of numbers, ranges (a-b), lists (a,b), * and /step", repr(text))
        base, step = m.group(1), int(m.group(2) or 1)
        if step < 1:
            raise InputError(file, fld, "a step of at least 1", repr(text))
        if base == "*":
            a, b = lo, hi
        elif "-" in base:
            a, b = (int(x) for x in base.split("-"))
        else:
            a = b = int(base)
        if a < lo or b > hi or a > b:
            raise InputError(file, fld, f"values from {lo} to {hi}", repr(text))
        out.update(range(a, b + 1, step))
    return frozenset(out)


@dataclass(frozen=True)
class MaintenanceWindow:
    """A maintenance window of upgrade-policies.yaml: hours during which some operations are blocked.

    The window covers the times its cron expression matches, hour by hour (the minute field is
    ignored). Day-of-month and day-of-week combine as in cron: when both are restricted, either
    matches. A window that fires once a day at midnight (hour and minute ``0``, such as
    ``0 0 * * 0,6``) covers those whole days. Day of week 0 and 7 are Sunday.

    Examples
    --------
    >>> w = MaintenanceWindow.from_config({"name": "Business Hours", "cron": "0 9-17 * * 1-5",
    ...                                    "blocked_operations": ["major_upgrades"]}, 0)
    >>> monday_9 = pd.Timestamp("2025-10-13 09:00")
    >>> w.blocks("major_upgrades", monday_9), w.blocks("minor_upgrades", monday_9)
    (True, False)
    >>> q = MaintenanceWindow.from_config({"name": "Quarter-end", "cron": "0 0 28-31 3,6,9,12 *",
    ...                                    "blocked_operations": ["all_upgrades"]}, 1)
    >>> [q.blocks("patch_upgrades", pd.Timestamp(t)) for t in ("2025-12-29 15:00", "2025-12-27 15:00")]
    [True, False]
    """

    name: str
    cron: str
    hours: frozenset[int]
    days_of_month: frozenset[int] | None
    months: frozenset[int] | None
    days_of_week: frozenset[int] | None
    blocked: tuple[str, ...]
    timezone: str = "UTC"

    @classmethod
    def from_config(cls, entry: Any, index: int, file: str = POLICY_FILE) -> MaintenanceWindow:
        """Parse one ``maintenance_windows.windows[i]`` entry."""
        where = f"maintenance_windows.windows[{index}]"
        if not isinstance(entry, Mapping):
            raise InputError(file, where, "a mapping with name, cron, blocked_operations", type(entry).__name__)
        cron = entry.get("cron")
        if not isinstance(cron, str) or len(cron.split()) != 5:
            raise InputError(file, f"{where}.cron", "a five-field cron expression", repr(cron))
        minute, hour, dom, month, dow = cron.split()
        blocked = entry.get("blocked_operations") or []
        if not isinstance(blocked, list) or not all(isinstance(b, str) for b in blocked):
            raise InputError(file, f"{where}.blocked_operations", "a list of operation names", repr(blocked))
        fld = f"{where}.cron"
        parse_cron_field(minute, 0, 59, file, fld)
        hours = parse_cron_field(hour, 0, 23, file, fld)
        if hour.strip() == "0" and minute.strip() == "0":
            hours = frozenset(range(24))
        days = None if dow == "*" else frozenset({0 if d == 7 else d for d in parse_cron_field(dow, 0, 7, file, fld)})
        tz = entry.get("timezone") or "UTC"
        zone(str(tz), file, f"{where}.timezone")
        return cls(
            name=str(entry.get("name") or f"window {index + 1}"),
            cron=cron,
            hours=hours,
            days_of_month=None if dom == "*" else parse_cron_field(dom, 1, 31, file, fld),
            months=None if month == "*" else parse_cron_field(month, 1, 12, file, fld),
            days_of_week=days,
            blocked=tuple(str(b) for b in blocked),
            timezone=str(tz),
        )

    def covers(self, local: pd.Timestamp) -> bool:
        """Whether the window covers that local time."""
        if local.hour not in self.hours:
            return False
        if self.months is not None and local.month not in self.months:
            return False
        dom_ok = self.days_of_month is not None and local.day in self.days_of_month
        dow_ok = self.days_of_week is not None and (local.weekday() + 1) % 7 in self.days_of_week
        if self.days_of_month is None and self.days_of_week is None:
            return True
        if self.days_of_month is None:
            return dow_ok
        if self.days_of_week is None:
            return dom_ok
        return dom_ok or dow_ok

    def blocks(self, operation: str, local: pd.Timestamp) -> bool:
        """Whether the window blocks ``operation`` at that local time."""
        blocked = operation in self.blocked or "all_upgrades" in self.blocked or "all" in self.blocked
        return blocked and self.covers(local)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "cron": self.cron,
            "blocked_operations": list(self.blocked),
            "timezone": self.timezone,
        }


def zone(name: str, file: str, fld: str) -> Any:
    """The time zone named ``name``: ``"UTC"`` or a :class:`zoneinfo.ZoneInfo`.

    Raises
    ------
    InputError
        When ``name`` is not an IANA time-zone name (``file`` and ``fld`` say where it was read).

    Examples
    --------
    >>> zone("utc", "f", "tz"), str(zone("Europe/Berlin", "f", "tz"))
    ('UTC', 'Europe/Berlin')
    """
    if name.upper() == "UTC":
        return "UTC"
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(file, fld, "an IANA time zone name such as UTC or Europe/Berlin", repr(name)) from None

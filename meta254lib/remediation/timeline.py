"""The plan over time: its waves table and its calendar of milestones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..core.columns import SERVICE, SEVERITY
from ..core.schema import PLAN_CALENDAR, PLAN_WAVES, frame_from_records
from ..core.severity import SEVERITIES
from .policy import PlanPolicy
from .schedule import by_wave

__all__ = ["plan_calendar", "waves_frame"]

_Item = Mapping[str, Any]


def _services(items: Sequence[_Item]) -> tuple[str, ...]:
    return tuple(sorted({it[SERVICE] for it in items}))


def waves_frame(scoped: Sequence[_Item], warning: Mapping[int, str]) -> pd.DataFrame:
    """:data:`~meta254lib.core.schema.PLAN_WAVES` of the shown items: days, services, pull requests, cycles."""
    rows = []
    in_wave = by_wave(scoped)
    for w in sorted(in_wave):
        mine = in_wave[w]
        regular = [it for it in mine if not it["security"]]
        start, end = (None, None)
        if regular:
            days = [it["scheduled"] for it in regular]
            start, end = min(days), max(days)
        rows.append(
            {
                "wave": w,
                "start": start,
                "end": end,
                "services": _services(mine),
                "items": len(mine),
                "prs": len({it["batch"] for it in regular}),
                "cycle": bool(warning.get(w)),
                "warning": warning.get(w, ""),
            }
        )
    return frame_from_records(PLAN_WAVES, rows)


def plan_calendar(
    scoped: Sequence[_Item], waves: pd.DataFrame, start: pd.Timestamp, policy: PlanPolicy
) -> pd.DataFrame:
    """:data:`~meta254lib.core.schema.PLAN_CALENDAR`: start, security fixes, waves, due dates, final re-check."""
    rows = [*_start_rows(scoped, waves, start), *_wave_rows(scoped, waves), *_due_rows(scoped, start, policy)]
    if scoped:
        rows.append(
            {
                "date": max(it["recheck"] for it in scoped),
                "milestone": "final drift re-check",
                "wave": None,
                "items": len(scoped),
                "services": _services(scoped),
                "detail": f"{policy.monitor_days} days after the last deployment",
            }
        )
    rows.sort(key=lambda r: (r["date"], r["wave"] if r["wave"] is not None else -1, r["milestone"]))
    return frame_from_records(PLAN_CALENDAR, rows)


def _start_rows(scoped: Sequence[_Item], waves: pd.DataFrame, start: pd.Timestamp) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {
            "date": start,
            "milestone": "plan starts",
            "wave": None,
            "items": len(scoped),
            "services": _services(scoped),
            "detail": f"{len(scoped)} item(s) in {len(waves)} wave(s)",
        }
    ]
    sec = [it for it in scoped if it["security"]]
    if sec:
        rows.append(
            {
                "date": start,
                "milestone": "security fixes start",
                "wave": None,
                "items": len(sec),
                "services": _services(sec),
                "detail": "security fixes are not held back by waves or scheduling",
            }
        )
    return rows


def _wave_rows(scoped: Sequence[_Item], waves: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    in_wave = by_wave(scoped)
    for w in waves.itertuples(index=False):
        if pd.isna(w.start):
            continue
        mine = [it for it in in_wave.get(w.wave, ()) if not it["security"]]
        svcs = _services(mine)
        rows.append(
            {
                "date": w.start,
                "milestone": f"wave {w.wave} starts",
                "wave": w.wave,
                "items": len(mine),
                "services": svcs,
                "detail": f"{w.prs} pull request(s)" + (f"; {w.warning}" if w.warning else ""),
            }
        )
        rows.append(
            {
                "date": w.end,
                "milestone": f"wave {w.wave} deployed",
                "wave": w.wave,
                "items": len(mine),
                "services": svcs,
                "detail": f"consumers in wave {w.wave + 1} may start the next allowed day",
            }
        )
    return rows


def _due_rows(scoped: Sequence[_Item], start: pd.Timestamp, policy: PlanPolicy) -> list[dict[str, Any]]:
    rows = []
    for sev in SEVERITIES:
        mine = [it for it in scoped if it[SEVERITY] == sev]
        if mine:
            due = start + pd.Timedelta(days=int(policy.response_days[sev]))
            late = sum(1 for it in mine if not it["on_time"])
            rows.append(
                {
                    "date": due,
                    "milestone": f"{sev} items due",
                    "wave": None,
                    "items": len(mine),
                    "services": _services(mine),
                    "detail": f"response time {policy.response_days[sev]} days"
                    + (f"; {late} scheduled after it" if late else ""),
                }
            )
    return rows

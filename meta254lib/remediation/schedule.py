"""When items ship: provider-first waves, pull-request batches, and days and hours the policy allows.

Security fixes are scheduled at the plan's start. Within a wave, items ship in pull-request batches
(same spec, target and update type; at most ``max_services_per_pr``), at most ``max_concurrent_prs`` a
day, on ``scheduling.allowed_days``, in hours that no maintenance window blocks for the operation;
the next wave starts the next allowed day after the last deployment of the previous one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import networkx as nx
import pandas as pd

from ..core.clock import to_zone
from ..core.columns import SERVICE
from ..graph.build import relation_view
from ..impact.rollout import DEPLOY_RELATIONS, deploy_waves
from .fmt import iso_day
from .policy import PlanPolicy
from .windows import POLICY_FILE, zone

__all__ = ["assign_waves", "by_wave", "first_slot", "mark_due", "next_allowed", "schedule_items"]

_SECURITY_WINDOW = "immediately (security fix: not held back by waves, allowed days or maintenance windows)"


def by_wave(items: Iterable[Mapping[str, Any]]) -> dict[int, list[Any]]:
    """wave -> its items, in the given order.

    Examples
    --------
    >>> by_wave([{"wave": 2, "id": "a"}, {"wave": 1, "id": "b"}, {"wave": 2, "id": "c"}])[2]
    [{'wave': 2, 'id': 'a'}, {'wave': 2, 'id': 'c'}]
    """
    out: dict[int, list[Any]] = {}
    for it in items:
        out.setdefault(it["wave"], []).append(it)
    return out


def _sun0(day: pd.Timestamp) -> int:
    return (day.weekday() + 1) % 7


def _operation(item: Mapping[str, Any]) -> str:
    if item["security"]:
        return "security_upgrades"
    return {"major": "major_upgrades", "minor": "minor_upgrades", "patch": "patch_upgrades"}.get(
        item["update_type"], "other_changes"
    )


def _window(day: pd.Timestamp, operation: str, policy: PlanPolicy) -> tuple[list[int], str]:
    """Allowed UTC hours of ``day`` for ``operation`` and the rule that set them."""
    utc = pd.date_range(day, periods=24, freq="h")
    local: dict[str, list[pd.Timestamp]] = {}

    def hours_in(tz: str) -> list[pd.Timestamp]:
        # one conversion per time zone and day (hour h of the UTC day, seen in tz)
        if tz not in local:
            local[tz] = list(utc if tz.upper() == "UTC" else to_zone(utc, zone(tz, POLICY_FILE, "timezone")))
        return local[tz]

    blocked_by: dict[int, str] = {}
    for h in range(24):
        for w in policy.windows:
            if w.blocks(operation, hours_in(w.timezone)[h]):
                blocked_by.setdefault(h, w.name)
                break
    lo, hi = policy.business_hours
    business = [h for h, t in enumerate(hours_in(policy.business_timezone)) if lo <= t.hour < hi]
    ok = [h for h in business if h not in blocked_by]
    if ok:
        rule = "business hours"
        if len(ok) < len(business):
            names = sorted({blocked_by[h] for h in business if h in blocked_by})
            rule += f" outside maintenance window(s) {', '.join(names)}"
        return ok, rule
    free = [h for h in range(24) if h not in blocked_by]
    if free:
        names = sorted({blocked_by[h] for h in business if h in blocked_by})
        return free, f"outside business hours: maintenance window(s) {', '.join(names)} block {operation} then"
    return [], "every hour is blocked"


def _fmt_hours(hours: list[int]) -> str:
    runs: list[tuple[int, int]] = []
    for h in sorted(hours):
        if runs and runs[-1][1] == h:
            runs[-1] = (runs[-1][0], h + 1)
        else:
            runs.append((h, h + 1))
    return ", ".join(f"{a:02d}:00–{b:02d}:00" for a, b in runs) + " UTC"


def first_slot(
    start: pd.Timestamp,
    operation: str,
    policy: PlanPolicy,
    used: Mapping[pd.Timestamp, int],
    limit: int = 400,
    windows: dict[tuple[pd.Timestamp, str], tuple[list[int], str]] | None = None,
) -> tuple[pd.Timestamp, str, bool]:
    """The first allowed day from ``start`` with a free pull-request slot and an hour for ``operation``.

    Returns ``(day, window text, found)``; when no day within ``limit`` days has an hour, ``start``
    and why, with ``found`` false.

    ``windows`` memoises :func:`_window` across calls of one plan (a day's window never changes).
    """
    windows = {} if windows is None else windows
    day = start
    for _ in range(limit):
        if _sun0(day) in policy.allowed_days and used.get(day, 0) < policy.max_concurrent_prs:
            key = (day, operation)
            if key not in windows:
                windows[key] = _window(day, operation, policy)
            hours, rule = windows[key]
            if hours:
                return day, f"{_fmt_hours(hours)} ({rule})", True
        day = day + pd.Timedelta(days=1)
    return start, f"no allowed day within {limit} days leaves an hour for {operation}", False


def next_allowed(day: pd.Timestamp, policy: PlanPolicy, step: int = 1) -> pd.Timestamp:
    """The next allowed day after ``day`` (``step`` -1: the previous one), looking two weeks ahead."""
    d = day + pd.Timedelta(days=step)
    for _ in range(14):
        if _sun0(d) in policy.allowed_days:
            return d
        d = d + pd.Timedelta(days=step)
    return d


def assign_waves(
    items: Sequence[Mapping[str, Any]], graph: nx.DiGraph
) -> tuple[list[dict[str, Any]], dict[int, str], list[str]]:
    """The items with their ``wave``, each wave's cycle warning, and the warnings to show.

    The waves are the topological generations of the ``depends_on`` graph over the planned services
    and everything depending on them (:func:`~meta254lib.impact.rollout.deploy_waves`), so a provider
    is upgraded before its consumers; only waves holding a planned service count.
    """
    plan_services = sorted({it[SERVICE] for it in items})
    wave_of: dict[str, int] = {}
    wave_warning: dict[int, str] = {}
    warnings: list[str] = []
    if plan_services:
        H_dep = relation_view(graph, DEPLOY_RELATIONS)
        members = _with_dependents(H_dep, plan_services)
        planned = set(plan_services)
        gens = []
        for w in deploy_waves(H_dep, members).itertuples(index=False):
            mine = [x for x in w.services if x in planned]
            if mine:
                gens.append((mine, w.warning))
        for k, (mine, warning) in enumerate(gens, start=1):
            for x in mine:
                wave_of[x] = k
            if warning:
                wave_warning[k] = warning
                warnings.append(f"wave {k}: {warning}")
    return [{**it, "wave": wave_of.get(it[SERVICE], 1)} for it in items], wave_warning, warnings


def _with_dependents(H_dep: nx.DiGraph, services: Sequence[str]) -> set[str]:
    """The services and everything depending on them, transitively."""
    members = set(services)
    todo = list(services)
    while todo:
        for p in H_dep.predecessors(todo.pop()):
            if p not in members:
                members.add(p)
                todo.append(p)
    return members


def _batches(regular: Sequence[Mapping[str, Any]], policy: PlanPolicy) -> list[list[Mapping[str, Any]]]:
    """Pull-request batches of one wave: automatic spec upgrades to one target share a batch up to the cap."""
    batches: list[list[Mapping[str, Any]]] = []
    open_batch: dict[tuple, list[Mapping[str, Any]]] = {}
    for it in regular:
        if it["action"] == "upgrade_spec" and it["automation"] in ("automated", "approval"):
            key = (it["subject"], it["target"], it["update_type"], it["automation"])
            cap = int(policy.max_services_per_pr.get(it["update_type"], 1))
            b = open_batch.get(key)
            if b is not None and len(b) < cap:
                b.append(it)
                continue
            b = [it]
            open_batch[key] = b
            batches.append(b)
        else:
            batches.append([it])
    return batches


def _by_priority(items: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(items, key=lambda i: (-i["priority"], i["id"]))


def schedule_items(
    items: Sequence[Mapping[str, Any]], start_day: pd.Timestamp, policy: PlanPolicy
) -> tuple[list[dict[str, Any]], list[str]]:
    """The items with their ``batch``, ``scheduled`` day and ``window``, and the warnings.

    Security fixes ship at ``start_day``; each wave's batches take the first free allowed slots from
    the day after the previous wave's last deployment (see the module docstring).
    """
    slot: dict[str, tuple[str, pd.Timestamp, str]] = {}
    for k, it in enumerate(_by_priority(it for it in items if it["security"]), start=1):
        slot[it["id"]] = (f"SEC-{k}", start_day, _SECURITY_WINDOW)
    used: dict[pd.Timestamp, int] = {}
    windows: dict[tuple[pd.Timestamp, str], tuple[list[int], str]] = {}
    warnings: list[str] = []
    cursor = start_day
    in_wave = by_wave(items)
    for w in range(1, max((it["wave"] for it in items), default=0) + 1):
        days = []
        batches = _batches(_by_priority(it for it in in_wave.get(w, ()) if not it["security"]), policy)
        for k, b in enumerate(batches, start=1):
            day, window, ok = first_slot(cursor, _operation(b[0]), policy, used, windows=windows)
            if not ok:
                warnings.append(f"wave {w} batch {k}: {window}; scheduled on {iso_day(day)} and needs an exception")
            used[day] = used.get(day, 0) + 1
            days.append(day)
            for it in b:
                slot[it["id"]] = (f"W{w}-PR{k}", day, window)
        if days:
            cursor = next_allowed(max(days), policy)
    out = [{**it, **dict(zip(("batch", "scheduled", "window"), slot[it["id"]], strict=True))} for it in items]
    return out, warnings


def mark_due(items: Sequence[Mapping[str, Any]], policy: PlanPolicy) -> tuple[list[dict[str, Any]], list[str]]:
    """The items with ``on_time`` and ``recheck`` (``monitor_days`` after deployment); a warning per late item."""
    out, warnings = [], []
    for it in items:
        on_time = bool(it["scheduled"] <= it["due"])
        out.append({**it, "on_time": on_time, "recheck": it["scheduled"] + pd.Timedelta(days=policy.monitor_days)})
        if not on_time:
            warnings.append(
                f"{it['id']} ({it['service']} {it['subject'] or it['action']}): scheduled {iso_day(it['scheduled'])} "
                f"after its due date {iso_day(it['due'])}"
            )
    return out, warnings

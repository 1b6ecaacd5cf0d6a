"""The remediation plan as a value: :class:`RemediationPlan` and its renderings (table, JSON payload, headline)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .._version import __version__
from ..core.columns import SERVICE, TEAM
from ..core.records import json_records
from ..core.reprs import summary_html, summary_text
from .classify import RISK_RULE
from .fmt import iso_day as _iso_day
from .fmt import text as _text
from .policy import PlanPolicy

__all__ = ["RemediationPlan"]


@dataclass(frozen=True)
class RemediationPlan:
    """A remediation plan (see :mod:`meta254lib.remediation.plan`).

    Attributes
    ----------
    items : DataFrame
        :data:`~meta254lib.core.schema.PLAN_ITEMS`, ordered by wave, priority (descending), id.
    steps : mapping
        item id -> tuple of runbook phases, each ``{"phase", "lines", "blocks"}`` where ``blocks`` are
        ``{"title", "lang", "text"}`` code blocks.
    rollback : mapping
        item id -> ``{"title", "lines", "commands"}``: the immediate-rollback recipe.
    waves, calendar, burndown, communications : DataFrame
        :data:`~meta254lib.core.schema.PLAN_WAVES`, ``PLAN_CALENDAR``, ``PLAN_BURNDOWN``, ``PLAN_COMMUNICATIONS``.
    summary : dict
    warnings, notes : tuple of str
    as_of : Timestamp
    policy : PlanPolicy
    parameters : dict
        ``team``, ``service``, ``severity_floor``, ``workspace``.
    escalation : mapping
        The escalation levels used.
    """

    items: pd.DataFrame
    steps: Mapping[str, tuple[dict[str, Any], ...]]
    rollback: Mapping[str, dict[str, Any]]
    waves: pd.DataFrame
    calendar: pd.DataFrame
    burndown: pd.DataFrame
    communications: pd.DataFrame
    summary: dict[str, Any]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]
    as_of: pd.Timestamp
    policy: PlanPolicy
    parameters: dict[str, Any]
    escalation: Mapping[str, Mapping[str, str]]

    _repr_html_ = summary_html
    __repr__ = summary_text

    def _summary(self) -> tuple[str, dict[str, Any], pd.DataFrame]:
        cols = [c for c in ("wave", "service", "severity", "action", "subject", "target", "automation", "due")]
        return self.headline(), {"items": len(self.items)}, self.table().reindex(columns=cols)

    def table(self) -> pd.DataFrame:
        """A compact view of the items for tables (dates as YYYY-MM-DD, tuples joined)."""
        cols = [
            "wave",
            "id",
            "service",
            "team",
            "severity",
            "escalation",
            "action",
            "subject",
            "current",
            "target",
            "automation",
            "priority",
            "due",
            "scheduled",
            "batch",
        ]
        t = self.items.reindex(columns=cols).copy()
        for c in ("due", "scheduled"):
            t[c] = t[c].map(_iso_day).astype("str")
        return t.reset_index(drop=True)

    def to_payload(self) -> dict[str, Any]:
        """The plan as a JSON-ready dict (the CLI's ``--format json``)."""
        items = []
        for rec in json_records(self.items):
            rec["steps"] = [dict(s) for s in self.steps.get(rec["id"], ())]
            rec["rollback"] = dict(self.rollback.get(rec["id"], {}))
            for c in ("due", "scheduled", "recheck"):
                rec[c] = _iso_day(rec[c])
            items.append(rec)

        def dated(df: pd.DataFrame, cols: Iterable[str]) -> list[dict[str, Any]]:
            out = json_records(df)
            for r in out:
                for c in cols:
                    r[c] = _iso_day(r[c])
            return out

        return {
            "as_of": self.as_of.isoformat(),
            "generator": f"meta254 {__version__}",
            "parameters": dict(self.parameters),
            "policy": self.policy.as_dict(),
            "priority_formula": self.policy.priority_formula(),
            "risk_rule": RISK_RULE,
            "escalation": {k: dict(v) for k, v in sorted(self.escalation.items())},
            "summary": self.summary,
            "items": items,
            "waves": dated(self.waves, ("start", "end")),
            "calendar": dated(self.calendar, ("date",)),
            "burndown": dated(self.burndown, ("week_end",)),
            "communications": dated(self.communications, ("notify_on",)),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        """Deterministic JSON text: sorted keys, rows in plan order, no wall clock."""
        return json.dumps(self.to_payload(), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"

    def headline(self) -> str:
        """One line for the report index.

        Examples
        --------
        >>> from meta254lib.core.schema import SERVICES, frame_from_records as rec
        >>> from meta254lib.remediation.plan import PlanInputs, build_plan
        >>> from meta254lib.drift import DriftInputs, detect_drift
        >>> svc = rec(SERVICES, [{"service": "a", "last_update": "2025-01-01"}])
        >>> build_plan(PlanInputs(detect_drift(DriftInputs(svc), as_of="2025-10-10").issues, svc)).headline()
        '1 remediation item for 1 service: 0 automated, 0 approval, 1 manual; 0 security fixes; \
backlog 1 → 0 by 2025-10-17; 0 scheduled after their due date'
        """
        s = self.summary
        a = s["by_automation"]
        n = s["items"]
        return (
            f"{n} remediation item{'s' if n != 1 else ''} for {s['services']} "
            f"service{'s' if s['services'] != 1 else ''}: "
            f"{a['automated']} automated, {a['approval']} approval, {a['manual']} manual; "
            f"{s['security_items']} security fix{'es' if s['security_items'] != 1 else ''}; backlog "
            f"{s['backlog_start']} → {s['backlog_end']} by {s.get('backlog_end_date') or _iso_day(self.as_of)}; "
            f"{s['late_items']} scheduled after their due date"
        )

    def card_services(self, limit: int | None = 10) -> list[str]:
        """Services ordered by their most urgent item (highest priority, then earliest wave), at most ``limit``.

        Examples
        --------
        >>> from meta254lib.core.schema import SERVICES, frame_from_records as rec
        >>> from meta254lib.remediation.plan import PlanInputs, build_plan
        >>> from meta254lib.drift import DriftInputs, detect_drift
        >>> rows = [{"service": s, "last_update": d} for s, d in (("a", "2025-06-01"), ("b", "2025-01-01"))]
        >>> svc = rec(SERVICES, rows)
        >>> build_plan(PlanInputs(detect_drift(DriftInputs(svc), as_of="2025-10-10").issues, svc)).card_services()
        ['b', 'a']
        """
        if not len(self.items):
            return []
        top = self.items.assign(_p=-self.items["priority"]).sort_values(["_p", "wave", "service"], kind="mergesort")
        names = list(dict.fromkeys(top[SERVICE]))
        return names if limit is None else names[:limit]

    def escalation_summary(self) -> pd.DataFrame:
        """``level, name, contact, items, high, medium, low, teams, services`` per escalation level."""
        rows = []
        for lvl, sev in (("L1", "low"), ("L2", "medium"), ("L3", "high")):
            sel = self.items[self.items["escalation"] == lvl]
            info = self.escalation.get(lvl, {})
            rows.append(
                {
                    "level": lvl,
                    "name": _text(info.get("name")),
                    "contact": _text(info.get("contact")),
                    "handles": sev,
                    "items": len(sel),
                    "teams": ", ".join(sorted({t for t in sel[TEAM] if _text(t)})),
                    "services": len(set(sel[SERVICE])),
                }
            )
        return pd.DataFrame(rows)

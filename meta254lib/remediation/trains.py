"""Release trains: each train of ``catalog/release-trains.yaml`` checked against the workspace.

For every train :func:`release_trains` gives

- **participants** resolved against the catalog; an unknown name is an error row with "did you mean"
  (:func:`~meta254lib.remediation.trains_checks.resolve_participant`), never dropped;
- **requirements**: each spec requirement against the participants' pins and the spec registry
  (:func:`~meta254lib.remediation.trains_checks.check_requirement`);
- **gates** evaluated from the analysis state (:mod:`~meta254lib.remediation.trains_gates`): passed,
  failed or not assessed, never assumed;
- **sequence**: the deploy waves of :func:`~meta254lib.impact.rollout.deploy_waves` over
  :data:`~meta254lib.graph.rules.DEPLOY_RELATIONS` (providers first, a cycle in one wave; a one-way
  dependency is an order, not a conflict), rollback in reverse, and an estimated duration of
  :data:`SETUP_MINUTES` plus :data:`MINUTES_PER_SERVICE` per participant;
- **items**: the remediation-plan items the train carries: in a ``planning`` train, an item on a
  participant that changes a spec the train requires rides the train and is coordinated at L2;
- a **verdict**: ``blocked`` (no or unresolved participants, requirements a pin or the registry does not meet,
  failed required gates), else ``not assessed`` (a required gate without data), else ``ready``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..core.columns import SERVICE
from ..core.names import UnknownNameError, check_name
from ..core.records import json_records
from ..graph.build import relation_view
from ..graph.rules import DEPLOY_RELATIONS, wave_rule
from ..impact.rollout import deploy_waves
from ..state.analysis import AnalysisState, analysis_state
from .result import RemediationPlan
from .trains_checks import check_requirement, resolve_participant, satisfies
from .trains_file import FINDING_COLUMNS, TrainSpec, max_train_size_of, parse_trains
from .trains_gates import FAILED, NOT_ASSESSED, GateFacts, evaluate_gate

if TYPE_CHECKING:
    from ..workspace.workspace import Workspace

__all__ = [
    "MINUTES_PER_SERVICE",
    "SETUP_MINUTES",
    "TrainsResult",
    "release_trains",
    "ride_train_items",
    "ride_trains",
    "train_items",
]

#: Minutes of preparation per train and of deployment per participant (the platform planner's estimate).
SETUP_MINUTES = 30
MINUTES_PER_SERVICE = 15

_TABLES = ("trains", "participants", "requirements", "gates", "sequence", "items")


@dataclass(frozen=True)
class TrainsResult:
    """Every train checked. Each frame has a ``train`` column; ``trains`` has one row per train.

    Attributes
    ----------
    trains : DataFrame
        ``train, status, verdict, blocked_by, not_assessed, participants, unresolved, waves,
        estimated_minutes, estimated_duration, declared_duration, items, target_version``.
    participants, requirements, gates, sequence, items : DataFrame
        Per train, in file order (see :func:`release_trains`).
    findings : DataFrame
        What is wrong with the file itself (``file, field, rule, severity, expected, found``).
    sources : dict
        Where the facts come from (as-of, drift, quality, the wave rule).
    """

    trains: pd.DataFrame
    participants: pd.DataFrame
    requirements: pd.DataFrame
    gates: pd.DataFrame
    sequence: pd.DataFrame
    items: pd.DataFrame
    findings: pd.DataFrame
    sources: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``sources``, ``trains`` (each with its tables nested) and ``findings``."""
        out = []
        for row in json_records(self.trains):
            name = row["train"]
            for key in _TABLES[1:]:
                df = getattr(self, key)
                row[key] = json_records(df[df["train"] == name].drop(columns="train"))
            row["rollback"] = list(reversed(row["sequence"]))
            out.append(row)
        return {"sources": dict(self.sources), "trains": out, "findings": json_records(self.findings)}


def _facts(state: AnalysisState) -> GateFacts:
    ws = state.ws
    scores = {str(k): v for k, v in state.quality.scores.items() if not pd.isna(v)}
    s = ws.services
    vulns = {n: (None if pd.isna(v) else v) for n, v in zip(s[SERVICE], s["open_critical_vulns"], strict=True)}
    deps = None
    if ws.has_input("advisories"):
        issues = state.drift.issues
        counted = issues[
            (issues["type"] == "vulnerable_dependency") & ~issues["exempt"].astype("boolean").fillna(False)
        ]
        deps = {str(k): int(v) for k, v in counted[SERVICE].value_counts().items()}
    return GateFacts(scores, vulns, deps, state.quality.source)


def train_items(
    trains: Sequence[TrainSpec], items: pd.DataFrame, resolved: Mapping[str, Sequence[str]]
) -> pd.DataFrame:
    """The plan items each ``planning`` train carries: an item on a participant changing a required spec.

    Parameters
    ----------
    trains : sequence of TrainSpec
    items : DataFrame
        Remediation-plan items (``id, service, action, subject, current, target, escalation, scheduled``).
    resolved : mapping
        train name -> its resolved participants.

    Returns
    -------
    DataFrame
        ``train, item, service, action, subject, current, target, requirement, meets_requirement,
        plan_escalation, escalation`` (``L2``: coordinated by the platform team), ``scheduled`` (the
        plan's date; the item now ships with the train).

    Examples
    --------
    >>> from meta254lib.remediation.trains_file import parse_trains
    >>> trains, _ = parse_trains({"trains": [{"name": "t", "participants": ["gw"],
    ...                                       "dependencies": [{"spec": "gateway-core >=1.2.0"}]}]})
    >>> items = pd.DataFrame([{"id": "PLAN-1", "service": "gw", "action": "upgrade_spec", "subject": "gateway-core",
    ...                        "current": "1.0.0", "target": "1.2.0", "escalation": "L1", "scheduled": None}])
    >>> train_items(trains, items, {"t": ["gw"]})[["train", "item", "meets_requirement", "escalation"]].values.tolist()
    [['t', 'PLAN-1', True, 'L2']]
    """
    rows = []
    for t in trains:
        if t.status != "planning":
            continue
        members = set(resolved.get(t.name, ()))
        for req in t.requirements:
            hit = items[items[SERVICE].isin(members) & (items["subject"] == req.spec)]
            for it in hit.sort_values([SERVICE, "id"]).to_dict("records"):
                rows.append(
                    {
                        "train": t.name,
                        "item": it["id"],
                        SERVICE: it[SERVICE],
                        "action": it["action"],
                        "subject": it["subject"],
                        "current": it.get("current"),
                        "target": it.get("target"),
                        "requirement": req.text,
                        "meets_requirement": satisfies(req, it.get("target")),
                        "plan_escalation": it.get("escalation"),
                        "escalation": "L2",
                        "scheduled": it.get("scheduled"),
                    }
                )
    cols = ["train", "item", SERVICE, "action", "subject", "current", "target", "requirement"]
    cols += ["meets_requirement", "plan_escalation", "escalation", "scheduled"]
    return pd.DataFrame(rows, columns=cols)


def _participant_rows(t: TrainSpec, catalog: Sequence[str], domains: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name in t.participants:
        svc, near = resolve_participant(name, catalog)
        error = "" if svc else str(UnknownNameError("service", name, catalog))
        rows.append(
            {
                "train": t.name,
                "name": name,
                SERVICE: svc,
                "resolved": svc is not None,
                "domain": domains.get(svc) if svc else None,
                "suggestions": near,
                "error": error,
            }
        )
    return rows


def _sequence_rows(t: TrainSpec, H: Any, members: Sequence[str]) -> list[dict[str, Any]]:
    rows, start = [], SETUP_MINUTES
    for w in deploy_waves(H, members).to_dict("records"):
        minutes = MINUTES_PER_SERVICE * len(w["services"])
        rows.append({"train": t.name, **w, "start_minute": start, "minutes": minutes})
        start += minutes
    return rows


def _duration(minutes: int) -> str:
    h, m = divmod(minutes, 60)
    return f"{h} h {m:02d} min" if h else f"{m} min"


def _below(spec: str, pinned: Sequence[str], blockers: Sequence[str]) -> str:
    return ", ".join(p.replace("@", f" pins {spec} ", 1) for p in pinned if p.split("@")[0] in blockers)


def _meet(n: int) -> str:
    return " does not meet it" if n == 1 else " do not meet it"


def _verdict(parts: list[dict], reqs: list[dict], gates: list[dict]) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    blocked = [f"unresolved participant {p['name']}" for p in parts if not p["resolved"]] or (
        [] if parts else ["no participants"]
    )
    blocked += [
        f"{r['requirement']}: "
        + (_below(r["spec"], r["pinned_by"], r["blockers"]) + _meet(len(r["blockers"])) if r["blockers"] else r["note"])
        for r in reqs
        if r["status"] in ("blocked", "unsatisfiable")
    ]
    blocked += [
        f"gate {g['gate']} failed: {', '.join(g['failing'])}" for g in gates if g["required"] and g["status"] == FAILED
    ]
    unknown = tuple(f"gate {g['gate']}" for g in gates if g["required"] and g["status"] == NOT_ASSESSED)
    verdict = "blocked" if blocked else NOT_ASSESSED if unknown else "ready"
    return verdict, tuple(blocked), unknown


def _check_train(t: TrainSpec, state: AnalysisState, facts: GateFacts, H: Any, items: pd.DataFrame) -> dict[str, list]:
    ws = state.ws
    catalog = ws.services[SERVICE].tolist()
    parts = _participant_rows(t, catalog, dict(zip(ws.services[SERVICE], ws.services["domain"], strict=True)))
    members = [p[SERVICE] for p in parts if p["resolved"]]
    carried = items[items["train"] == t.name]
    by_service: dict[str, list[str]] = {}
    for svc, item in zip(carried[SERVICE], carried["item"], strict=True):
        by_service.setdefault(svc, []).append(item)
    reqs = [
        {"train": t.name, **check_requirement(r, members, ws.contracts, ws.spec_versions, by_service)}
        for r in t.requirements
    ]
    missing = [p["name"] for p in parts if not p["resolved"]]
    gates = [{"train": t.name, **evaluate_gate(g, members, facts, missing)} for g in t.gates]
    seq = _sequence_rows(t, H, members)
    verdict, blocked, unknown = _verdict(parts, reqs, gates)
    minutes = SETUP_MINUTES + MINUTES_PER_SERVICE * len(members)
    summary = {
        "train": t.name,
        "status": t.status,
        "verdict": verdict,
        "blocked_by": blocked,
        "not_assessed": unknown,
        "participants": len(t.participants),
        "unresolved": tuple(p["name"] for p in parts if not p["resolved"]),
        "waves": len(seq),
        "cycles": any(w["cycle"] for w in seq),
        "estimated_minutes": minutes,
        "estimated_duration": _duration(minutes),
        "declared_duration": t.declared_duration,
        "items": tuple(carried["item"]),
        "target_version": t.target_version,
    }
    return {"trains": [summary], "participants": parts, "requirements": reqs, "gates": gates, "sequence": seq}


def _plan_items(state: AnalysisState, trains: Sequence[TrainSpec]) -> pd.DataFrame:
    """The plan's items, only when a planning train requires a spec (the plan is not built otherwise)."""
    if not any(t.status == "planning" and t.requirements for t in trains):
        return pd.DataFrame(columns=["id", SERVICE, "action", "subject"])
    from .shared_items import plan_items_at

    return plan_items_at(state)


def release_trains(ws: Workspace | AnalysisState, as_of: Any = None, *, train: str | None = None) -> TrainsResult:
    """Every release train of the workspace checked: participants, requirements, gates, sequence, verdict.

    Parameters
    ----------
    ws : Workspace or AnalysisState
        The workspace (its analysis state at ``as_of`` is used) or a state.
    as_of : date-like, optional
        Default: the catalog's ``generated_at``.
    train : str, optional
        Only this train.

    Raises
    ------
    UnknownNameError
        ``train`` is not a train of the file (a ParameterError: exit code 2).

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> import meta254lib as m
    >>> root = pathlib.Path(tempfile.mkdtemp()); (root / "catalog").mkdir()
    >>> _ = (root / "catalog" / "service-index.json").write_text(json.dumps({
    ...     "metadata": {"generated_at": "2025-10-10T00:00:00Z"},
    ...     "services": [{"name": n, "domain": "access", "version": "1.0.0",
    ...                   "dependencies": {"internal": d}} for n, d in (("auth", []), ("gateway", ["auth"]))]}))
    >>> _ = (root / "catalog" / "release-trains.yaml").write_text(
    ...     "trains:\\n- {name: t, participants: [gateway, auth, authz], gates: [{name: ci, type: ci_status}]}\\n")
    >>> r = release_trains(m.open_workspace(root))
    >>> r.trains[["verdict", "unresolved", "waves", "estimated_duration"]].values.tolist()
    [['blocked', ('authz',), 2, '1 h 00 min']]
    >>> r.participants["error"].tolist()[-1], r.sequence["services"].tolist(), r.gates["status"].tolist()
    ("unknown service 'authz' (did you mean auth?)", [('auth',), ('gateway',)], ['not assessed'])
    """
    state = ws if isinstance(ws, AnalysisState) else analysis_state(ws, as_of)
    trains, findings = parse_trains(state.ws.release_trains, max_train_size_of(state.ws.rules))
    if train is not None:
        names = [t.name for t in trains]
        train = check_name("train", train, names)
        trains = [t for t in trains if t.name == train]
    facts = _facts(state)
    H = relation_view(state.ws.graph, DEPLOY_RELATIONS)
    resolved = {
        t.name: [s for s in (resolve_participant(p, state.ws.services[SERVICE])[0] for p in t.participants) if s]
        for t in trains
    }
    items = train_items(trains, _plan_items(state, trains), resolved)
    tables: dict[str, list] = {k: [] for k in _TABLES[:-1]}
    for t in trains:
        for key, rows in _check_train(t, state, facts, H, items).items():
            tables[key].extend(rows)
    frames = {k: _frame(k, v) for k, v in tables.items()}
    sources = {**state.sources(), "waves": wave_rule()}
    found = pd.DataFrame(findings, columns=list(FINDING_COLUMNS), dtype=object)
    return TrainsResult(**frames, items=items, findings=found, sources=sources)


_COLUMNS = {
    "trains": [
        "train",
        "status",
        "verdict",
        "blocked_by",
        "not_assessed",
        "participants",
        "unresolved",
        "waves",
        "cycles",
        "estimated_minutes",
        "estimated_duration",
        "declared_duration",
        "items",
        "target_version",
    ],
    "participants": ["train", "name", SERVICE, "resolved", "domain", "suggestions", "error"],
    "requirements": [
        "train",
        "requirement",
        "spec",
        "specifier",
        "registry_latest",
        "registry_meets",
        "pinned_by",
        "blockers",
        "status",
        "note",
    ],
    "gates": ["train", "gate", "type", "required", "status", "rule", "values", "failing", "unknown", "decided_by"],
    "sequence": ["train", "wave", "services", "cycle", "warning", "start_minute", "minutes"],
}


def _frame(key: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=_COLUMNS[key])


def ride_trains(plan: RemediationPlan, ws: Workspace) -> RemediationPlan:
    """The plan with the items a ``planning`` release train carries marked as part of it.

    Such an item (a participant's change to a spec the train requires, see :func:`train_items`) gets
    ``train``, ships in the train's batch (``batch`` = ``TRAIN:<name>``) and is escalated to at least L2
    (the platform team coordinates release trains, as the runbook says).
    """
    items = ride_train_items(plan.items, ws)
    return plan if items is plan.items else replace(plan, items=items)


def ride_train_items(items: pd.DataFrame, ws: Workspace) -> pd.DataFrame:
    """Plan items with those a ``planning`` release train carries marked (see :func:`ride_trains`).

    Returns ``items`` itself when no train carries any of them.
    """
    if ws.release_trains is None or not len(items):
        return items
    trains, _ = parse_trains(ws.release_trains, max_train_size_of(ws.rules))
    resolved = {
        t.name: [s for s in (resolve_participant(p, ws.services[SERVICE])[0] for p in t.participants) if s]
        for t in trains
    }
    carried = train_items(trains, items, resolved)
    if not len(carried):
        return items
    items = items.copy()
    # an item two trains want rides the first (in file order) whose requirement its target meets
    order = {t.name: t.index for t in trains}
    ranked = carried.assign(
        _miss=~carried["meets_requirement"].fillna(False).astype(bool), _i=carried["train"].map(order)
    )
    first = ranked.sort_values(["_miss", "_i"], kind="stable").drop_duplicates("item")
    by_item = dict(zip(first["item"], first["train"], strict=True))
    sel = items["id"].isin(list(by_item))
    items.loc[sel, "train"] = items.loc[sel, "id"].map(by_item)
    items.loc[sel, "batch"] = "TRAIN:" + items.loc[sel, "train"]
    low = sel & (items["escalation"] == "L1")
    escalation = ws.escalation or {}
    items.loc[low, "escalation"] = "L2"
    items.loc[low, "escalation_name"] = str(escalation.get("L2", {}).get("name") or "")
    items.loc[low, "escalation_contact"] = str(escalation.get("L2", {}).get("contact") or "")
    return items

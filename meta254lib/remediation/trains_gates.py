"""Release-train gates evaluated from workspace data: passed, failed or not assessed, never assumed.

Each gate reads one input (:data:`~meta254lib.remediation.trains_file.EVALUATED_GATES`) and is judged per
participant: ``quality_score`` needs every participant at or above ``threshold`` (default 80) in the bound
quality snapshot; ``vulnerabilities`` needs every participant's open critical vulnerabilities at or below
``max_vulns`` (default 0); ``dependency_scan`` and ``security_scan`` need no counted (not exempt)
``vulnerable_dependency`` drift issue on any participant. A participant without a value makes the gate
"not assessed" unless another participant already fails it. Gates without data in a workspace
(:data:`~meta254lib.remediation.trains_file.NO_DATA_GATES`) and unknown gate types are "not assessed"
with the input that would decide them.

Examples
--------
>>> facts = GateFacts(scores={"a": 85, "b": 70}, critical_vulns={"a": 0, "b": 0}, vulnerable_deps=None)
>>> g = GateSpec("q", "quality_score", True, 80.0, None, "")
>>> row = evaluate_gate(g, ("a", "b"), facts)
>>> row["status"], row["failing"], row["values"]
('failed', ('b',), {'a': 85, 'b': 70})
>>> evaluate_gate(GateSpec("deps", "dependency_scan", True, None, None, ""), ("a",), facts)["status"]
'not assessed'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .trains_file import EVALUATED_GATES, NO_DATA_GATES, GateSpec

__all__ = ["FAILED", "NOT_ASSESSED", "PASSED", "GateFacts", "evaluate_gate"]

PASSED = "passed"
FAILED = "failed"
NOT_ASSESSED = "not assessed"


@dataclass(frozen=True)
class GateFacts:
    """What the gates read, per service.

    Attributes
    ----------
    scores : mapping
        service -> implemented quality score at the bound snapshot (absent: no score).
    critical_vulns : mapping
        service -> open critical vulnerabilities from the catalog (absent or None: unknown).
    vulnerable_deps : mapping or None
        service -> counted ``vulnerable_dependency`` drift issues; ``None`` when the workspace has no
        OSV advisories (the check was not run).
    quality_source : str
        Where the scores come from (the state's quality source line).
    """

    scores: Mapping[str, Any]
    critical_vulns: Mapping[str, Any]
    vulnerable_deps: Mapping[str, int] | None
    quality_source: str = "quality snapshot"


def _judge(values: dict[str, Any], ok: Any) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """Status, failing and unknown participants of a per-participant check."""
    failing = tuple(p for p, v in values.items() if v is not None and not ok(v))
    unknown = tuple(p for p, v in values.items() if v is None)
    if failing:
        return FAILED, failing, unknown
    if unknown or not values:
        return NOT_ASSESSED, failing, unknown
    return PASSED, failing, unknown


def _value(mapping: Mapping[str, Any], service: str) -> Any:
    v = mapping.get(service)
    try:
        return None if v is None or v != v else int(v) if float(v) == int(v) else float(v)
    except (TypeError, ValueError):
        return None


def evaluate_gate(
    gate: GateSpec, participants: Sequence[str], facts: GateFacts, unresolved: Sequence[str] = ()
) -> dict[str, Any]:
    """One gate judged over the resolved participants; ``unresolved`` names have no value (never passed).

    Returns
    -------
    dict
        ``gate, type, required, status`` (passed | failed | not assessed), ``rule`` (what was checked),
        ``values`` (participant -> value), ``failing`` and ``unknown`` (participants), ``decided_by``
        (the input read, or the one that would decide a gate not assessed).
    """
    kind = gate.type
    row: dict[str, Any] = {"gate": gate.name, "type": kind, "required": gate.required}
    values: dict[str, Any] = {}
    if kind == "quality_score":
        threshold = gate.threshold if gate.threshold is not None else 80.0
        values = {p: _value(facts.scores, p) for p in participants}
        status, failing, unknown = _judge(values, lambda v: v >= threshold)
        rule, decided_by = f"every participant's score >= {threshold:g}", facts.quality_source
    elif kind == "vulnerabilities":
        limit = gate.max_vulns if gate.max_vulns is not None else 0
        values = {p: _value(facts.critical_vulns, p) for p in participants}
        status, failing, unknown = _judge(values, lambda v: v <= limit)
        rule, decided_by = f"open critical vulnerabilities <= {limit} per participant", EVALUATED_GATES[kind]
    elif kind in ("dependency_scan", "security_scan"):
        rule = "no open (not exempt) vulnerable_dependency drift issue on any participant"
        if facts.vulnerable_deps is None:
            status, failing, unknown = NOT_ASSESSED, (), tuple(participants)
            decided_by = "OSV advisories (advisories/*.json) and lock files: absent from the workspace"
        else:
            values = {p: int(facts.vulnerable_deps.get(p, 0)) for p in participants}
            status, failing, unknown = _judge(values, lambda v: v == 0)
            decided_by = EVALUATED_GATES[kind]
    else:
        status, failing, unknown = NOT_ASSESSED, (), tuple(participants)
        rule = gate.description or kind
        decided_by = NO_DATA_GATES.get(kind, f"meta254 cannot evaluate gate type {kind!r}")
    if unresolved:
        values = {**values, **dict.fromkeys(unresolved)}
        unknown = tuple(dict.fromkeys((*unknown, *unresolved)))
        status = FAILED if failing else NOT_ASSESSED
    row.update(
        {
            "status": status,
            "rule": rule,
            "values": values,
            "failing": failing,
            "unknown": unknown,
            "decided_by": decided_by,
        }
    )
    return row

"""The plan's items: drift issues grouped the way update bots group them, each group one item with its facts.

Every non-security issue on one service's pin of one spec is one item (its lag, a lock mismatch, a
deprecated version), all security issues on one package of one service are one. A root cause outside
any one service is one item across every service it affects: one per unregistered event (one registry
change), one per missing service (dangling dependencies on it). Two items that would edit one manifest
line to different targets are merged into one, whose target satisfies both. Every other issue is its
own item.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..core.columns import SERVICE, SEVERITY, TEAM
from ..core.severity import severity_rank
from ..core.versions import SemVer, in_osv_range, parse_version, update_type
from .classify import (
    ACTION_OF_TYPE,
    BREAKING_TYPES,
    ESCALATION_LEVEL,
    LAG_TYPES,
    SECURITY_TYPES,
    automation_class,
    closed_issues,
    exposure,
    group_key,
    item_id,
    risk,
)
from .fmt import text as _text
from .lookups import PlanFacts
from .targets import SpecVersion, policy_target, security_target

__all__ = ["ROOT_CAUSE_KINDS", "GroupKey", "follow_up_item", "group_issues", "plan_items"]

#: (service, kind, subject) of a group of issues.
GroupKey = tuple[str, str, str]
_Rec = Mapping[str, Any]
_VERSION_ACTIONS = ("upgrade_spec", "security_fix")
#: Group kinds whose root cause lies outside any one service (an unregistered event, a missing service):
#: one item across every service the cause affects.
ROOT_CAUSE_KINDS = frozenset({"event", "dangling_dependency"})


@dataclass(frozen=True)
class _Change:
    """What an item changes: its action, the version move and why that target."""

    action: str
    current: str = ""
    target: str = ""
    alternative: str = ""
    target_reason: str = ""
    ecosystem: str = ""
    advisory_ids: tuple[str, ...] = ()


def group_issues(actionable: pd.DataFrame) -> dict[GroupKey, list[dict[str, Any]]]:
    """The issues one change fixes, grouped (see the module docstring), in service, type, subject, id order.

    A root-cause group (:data:`ROOT_CAUSE_KINDS`) is keyed by its primary service: the first service
    that produces the event, else the first affected service.

    Examples
    --------
    >>> rows = pd.DataFrame([{"id": f"D{i}", "service": s, "type": "unknown_event", "subject": "x.v1",
    ...                       "current": d} for i, (s, d) in enumerate([("a", "in"), ("b", "out")])])
    >>> {k: [r["service"] for r in v] for k, v in group_issues(rows).items()}
    {('b', 'event', 'x.v1'): ['a', 'b']}
    """
    groups: dict[GroupKey, list[dict[str, Any]]] = {}
    for rec in actionable.sort_values(["service", "type", "subject", "id"], kind="mergesort").to_dict("records"):
        kind, subject = group_key(rec)
        owner = "" if kind in ROOT_CAUSE_KINDS else rec[SERVICE]
        groups.setdefault((owner, kind, subject), []).append(rec)
    return {(k[0] or _primary(recs), k[1], k[2]): recs for k, recs in groups.items()}


def _primary(recs: Sequence[_Rec]) -> str:
    """The service a root-cause item is filed under: the first producer of the event, else the first service."""
    producers = sorted(r[SERVICE] for r in recs if "out" in _text(r.get("current")))
    return producers[0] if producers else sorted(r[SERVICE] for r in recs)[0]


def plan_items(groups: Mapping[GroupKey, Sequence[_Rec]], facts: PlanFacts) -> list[dict[str, Any]]:
    """One item per group, in group order, before waves and scheduling; edits of one line merged."""
    items = {key: _plan_item(key, recs, facts) for key, recs in sorted(groups.items())}
    for keys in _same_line_groups(items):
        first = next((k for k in keys if k[1] == "security"), keys[0])
        items[first] = _plan_item(first, [r for k in keys for r in groups[k]], facts)
        for k in keys:
            if k != first:
                del items[k]
    return list(items.values())


def follow_up_item(key: GroupKey, recs: Sequence[_Rec], facts: PlanFacts, of_item: str) -> dict[str, Any]:
    """The item that closes what item ``of_item`` leaves open: ``recs`` as a simulation of the plan
    leaves them, planned from ``facts`` with that item's edit applied; its id is stable."""
    s, kind, subject = key
    it = _plan_item(key, recs, facts)
    reason = f"follow-up of {of_item}, which leaves {', '.join(it['issue_ids'])} open"
    return {
        **it,
        "id": item_id(s, f"follow-up {kind}", subject),
        "target_reason": f"{it['target_reason']}; {reason}" if it["target_reason"] else reason,
    }


def _same_line_groups(items: Mapping[GroupKey, Mapping[str, Any]]) -> list[list[GroupKey]]:
    """The groups whose items edit one manifest line (service, list, entry) to different targets."""
    lines: dict[tuple[str, str, str, str], list[GroupKey]] = {}
    for key, it in items.items():
        edits = (
            it["target"] and it["current"] != it["target"] and it["action"] in (*_VERSION_ACTIONS, "align_dependency")
        )
        if it["_section"] and it["current"] and (edits or it["action"] == "security_fix"):
            lines.setdefault((it[SERVICE], it["_section"], it["subject"], it["current"]), []).append(key)
    return [keys for keys in lines.values() if len({items[k]["target"] for k in keys}) > 1]


def _section(kind: str, subject: str, service_pins: Mapping[str, str]) -> str:
    """The manifest list the change edits: ``api_contracts``, ``dependencies.external`` or none."""
    if kind == "pin" or (kind == "security" and subject in service_pins):
        return "api_contracts"
    if kind in ("security", "dependency_divergence"):
        return "dependencies.external"
    return ""


def _change(kind: str, subject: str, service: str, recs: Sequence[_Rec], facts: PlanFacts) -> _Change:
    types = {r["type"] for r in recs}
    versions = facts.spec_index.get(subject, ())
    pinned = facts.pins.get(service, {}).get(subject)
    if kind == "pin":
        return _pin_change(types, recs, pinned, versions, facts)
    if kind == "security":
        return _security_change(subject, types, recs, pinned, versions, facts)
    return _other_change(kind, sorted(types)[0], recs)


def _pin_change(
    types: set[str], recs: Sequence[_Rec], pinned: str | None, versions: Sequence[SpecVersion], facts: PlanFacts
) -> _Change:
    """A spec pin: upgrade it to the policy's target, or (a lock mismatch alone) make the lock follow it."""
    current = pinned or next((r["current"] for r in recs if r["current"]), "")
    if not any(t in LAG_TYPES or t == "deprecated_spec" for t in types):
        lock_v = next((r["current"] for r in recs if r["type"] == "lock_mismatch"), "")
        return _Change("fix_lock", lock_v, current, "", "the manifest's pin (the lock file should follow it)")
    vers = [(v.text, v.tags, v.deprecated or v.removed) for v in versions]
    beyond = any(t in BREAKING_TYPES for t in types)
    target, alternative, reason = policy_target(current, vers, facts.policy, beyond_auto=beyond)
    if not target:
        target = max((r["expected"] for r in recs if parse_version(r["expected"])), default="")
        reason = reason + "; the drift issue's expected version is used"
    return _Change("upgrade_spec", current, target, alternative, reason)


def _security_change(
    subject: str,
    types: set[str],
    recs: Sequence[_Rec],
    pinned: str | None,
    versions: Sequence[SpecVersion],
    facts: PlanFacts,
) -> _Change:
    """A security fix: the lowest version no advisory affects, or the skipped security release."""
    rec_ext = next((r for r in recs if r["type"] == "vulnerable_dependency"), None)
    current = pinned or (rec_ext or recs[0])["current"]
    advisory_ids = tuple(sorted({a for r in recs for a in r["advisory_ids"].split(",") if a}))
    rows = None
    ecosystem = ""
    if advisory_ids and facts.advisories_by_package:
        rows = facts.advisories_by_package.get(subject, [])
        ecos = sorted({_text(r["ecosystem"]) for r in rows if r["advisory_id"] in advisory_ids} - {""})
        ecosystem = ecos[0] if ecos else ""
    lag = next((r["expected"] for r in recs if r["type"] == "security_lag"), None) if "security_lag" in types else None
    target, alternative, reason = security_target(current, advisory_ids, rows, lag, versions)
    higher = _other_target(recs, target or current, rows or [])
    if higher is not None and (target or rows):
        why = "the version the other issues on this line need"
        target, reason = (
            higher,
            (f"the highest of: {reason}; {why}" if target else f"{why}, outside every advisory range"),
        )
    return _Change("security_fix", current, target, alternative, reason, ecosystem, advisory_ids)


def _other_target(recs: Sequence[_Rec], target: str, rows: Sequence[Mapping[str, Any]]) -> str | None:
    """The highest version the item's non-security issues expect (as written), when it is above ``target``
    and no advisory affects it (two edits of one line merged into one); else ``None``."""
    tgt = parse_version(target)
    wanted: list[tuple[SemVer, str]] = []
    for r in recs:
        v = parse_version(r["expected"]) if r["type"] not in SECURITY_TYPES else None
        if v is not None and not v.prerelease:
            wanted.append((v, r["expected"]))
    best, text = max(wanted, key=lambda w: w[0].key, default=(None, ""))
    if tgt is None or best is None or not tgt < best:
        return None

    def tup(v: Any) -> tuple:
        return tuple(v) if isinstance(v, (tuple, list)) else ()

    if any(in_osv_range(best, tup(a.get("intervals")), tup(a.get("versions"))) for a in rows):
        return None
    return text


def _other_change(kind: str, first_type: str, recs: Sequence[_Rec]) -> _Change:
    """Every other issue: the runbook's action for its type."""
    action = ACTION_OF_TYPE.get(first_type, "review")
    if kind == "dependency_divergence":
        return _Change(action, recs[0]["current"], recs[0]["expected"], "", "the newest version another service uses")
    if kind == "invalid_version":
        return _Change(action, recs[0]["current"])
    if kind == "missing_lock":
        return _Change(action, target_reason="a lock file locking every pin of the manifest")
    return _Change(action)


def _update_kind(change: _Change) -> str:
    """``major``, ``minor``, ``patch`` of a version change, ``none`` otherwise."""
    cur, tgt = parse_version(change.current), parse_version(change.target)
    if cur is not None and tgt is not None and cur < tgt and change.action in _VERSION_ACTIONS:
        return update_type(cur, tgt)
    return "none"


def _breaking(
    change: _Change, kind: str, subject: str, types: set[str], versions: Sequence[SpecVersion]
) -> tuple[list[str], str]:
    """Registry releases tagged breaking between current and target, and the breaking-change text."""
    cur, tgt = parse_version(change.current), parse_version(change.target)
    if change.action not in _VERSION_ACTIONS or cur is None or tgt is None:
        return [], "none (not a version change)"
    breaking_list = [v.semver.text for v in versions if cur < v.semver <= tgt and "breaking" in v.tags]
    parts = []
    if breaking_list:
        parts.append("releases tagged breaking: " + ", ".join(breaking_list))
    if kind == "major":
        parts.append(f"major bump {cur.major} → {tgt.major}")
    if "deprecated_spec" in types:
        parts.append(f"{change.current} is deprecated or removed in the registry")
    if parts:
        return breaking_list, "; ".join(parts)
    if versions and any(v.tags for v in versions):
        return breaking_list, f"none tagged between {cur.text} and {tgt.text}"
    if versions:
        return breaking_list, (
            f"none expected for a {kind} upgrade (the spec registry has no change history for {subject})"
        )
    return breaking_list, f"unknown ({subject} is not in the spec registry; semver says {kind})"


def _plan_item(key: GroupKey, recs: Sequence[_Rec], facts: PlanFacts) -> dict[str, Any]:
    """One item: what it changes, how automated, how risky, how urgent, who hears of it."""
    s, kind, subject = key
    info = facts.services[s]
    policy = facts.policy
    types = {r["type"] for r in recs}
    severity = min((r[SEVERITY] for r in recs), key=severity_rank)
    change = _change(kind, subject, s, recs, facts)
    kind_of_update = _update_kind(change)
    versions = facts.spec_index.get(subject, ())
    breaking_list, breaking_text = _breaking(change, kind_of_update, subject, types, versions)
    breaking = bool(breaking_list) or any(t in BREAKING_TYPES for t in types)
    q = facts.quality.get(s)
    automation, automation_reason = _automation(change, s, kind_of_update, breaking, q, types, facts)
    impact = facts.impact[s]
    cov = _coverage(info["coverage"])
    risk_level, risk_text = risk(
        update_type=kind_of_update,
        breaking_text=breaking_text,
        breaking=breaking,
        security_without_fix=kind == "security" and not change.target,
        coverage=cov,
        coverage_target=facts.coverage_target,
        blast=impact["blast_radius"],
        weighted=impact["weighted"],
        impact_severity=impact[SEVERITY],
        maturity=_text(info["maturity"]),
        version_change=change.action in _VERSION_ACTIONS,
    )
    exp, exposure_text = exposure(list(change.advisory_ids), facts.advisory_index, policy)
    lvl = ESCALATION_LEVEL[severity]
    affected = tuple(sorted({r[SERVICE] for r in recs}))
    return {
        "id": item_id("*" if kind in ROOT_CAUSE_KINDS else s, kind, subject),
        "service": s,
        "team": _text(info[TEAM]),
        "team_contact": _text(info["team_contact"]),
        "services": affected,
        "teams": tuple(sorted({_text(facts.services.get(a, {}).get(TEAM)) for a in affected} - {""})),
        "action": change.action,
        "subject": subject,
        "issue_ids": tuple(sorted({r["id"] for r in recs})),
        "issue_types": tuple(sorted(types)),
        "leaves_open": (),
        "follow_up": "",
        "severity": severity,
        "security": kind == "security",
        "escalation": lvl,
        "escalation_name": _text(facts.escalation.get(lvl, {}).get("name")),
        "escalation_contact": _text(facts.escalation.get(lvl, {}).get("contact")),
        "due": facts.start_day + pd.Timedelta(days=int(policy.response_days[severity])),
        "current": change.current,
        "target": change.target,
        "alternative": change.alternative,
        "target_reason": change.target_reason,
        "update_type": kind_of_update,
        "automation": automation,
        "automation_reason": automation_reason,
        "quality_score": None if q is None else int(q),
        "coverage": cov,
        "maturity": _text(info["maturity"]),
        "breaking": breaking_text,
        "blast_radius": impact["blast_radius"],
        "weighted_blast_radius": impact["weighted"],
        "impact_severity": impact[SEVERITY],
        "dependents": impact["dependents"],
        "risk_level": risk_level,
        "risk": risk_text,
        "exposure": exp,
        "priority": policy.priority(severity, exp, impact["weighted"]),
        "_exposure_text": exposure_text,
        "_recs": recs,
        "_section": _section(kind, subject, facts.pins.get(s, {})),
        "_ecosystem": change.ecosystem,
        "_advisories": change.advisory_ids,
        "_runtime": _text(info["runtime"]),
        "_impact": impact,
        "_closes": closed_issues(recs, change.action, change.target),
    }


def _coverage(value: Any) -> float:
    return float("nan") if value is None or pd.isna(value) else float(value)


def _automation(
    change: _Change,
    service: str,
    kind_of_update: str,
    breaking: bool,
    quality: float | None,
    types: set[str],
    facts: PlanFacts,
) -> tuple[str, str]:
    """The item's automation class and why (a lock mismatch on the pin is closed by the upgrade)."""
    automation, reason = automation_class(
        action=change.action,
        service=service,
        current=change.current,
        target=change.target,
        update_type=kind_of_update,
        breaking=breaking,
        quality=quality,
        policy=facts.policy,
        target_reason=change.target_reason,
    )
    if "lock_mismatch" in types and change.action == "upgrade_spec":
        reason += "; the lock mismatch on this pin is closed by regenerating the lock with the upgrade"
    return automation, reason

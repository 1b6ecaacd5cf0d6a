"""Remediation plans: the drift remediation runbook, instantiated per service, ordered and scheduled.

:func:`build_plan` turns the drift issues of one run (:data:`~meta254lib.core.schema.DRIFT_ISSUES`), the
workspace tables and graph, and one :class:`PlanPolicy` into a :class:`RemediationPlan`:

- **items** (:data:`~meta254lib.core.schema.PLAN_ITEMS`): one per actionable issue or group of issues.
  Exempt issues and issues below ``severity_floor`` are left out. Issues one change fixes are grouped
  the way update bots group: every non-security issue on one service's pin of one spec (its patch or
  minor lag, a lock mismatch, a deprecated version), all unknown events of one service (one registry
  change), and all security issues on one package of one service. Security issues are never grouped
  with anything else and are scheduled at ``as_of``, whatever their wave;
- **target versions**: a security fix targets the *lowest* version outside every advisory range of
  the package (:func:`lowest_fixed_version`; ranges may overlap); a spec lag targets the latest version
  the upgrade policy upgrades automatically, with the registry's latest shown as the alternative
  (a major or breaking lag targets the latest and shows the automatic step as the alternative);
- **automation class** (:func:`automation_class`)::

      automated  patch upgrade, no breaking change, auto_upgrade.patch.enabled, quality >= 70
      approval   1-3 minors, no breaking change, auto_upgrade.minor.enabled, quality >= 80
      manual     everything else: major or breaking changes, staleness, unknown events, missing locks
                 (a lock is proposed but needs checking), policy off, quality too low, no fix

  ``auto_upgrade.<type>`` is read as a mapping with ``enabled`` (the platform's scripts test the
  mapping itself, which is always true); a plain boolean is accepted too;
- **priority** (:meth:`PlanPolicy.priority_formula`)::

      priority = S[severity] × (1 + E) × (1 + ln(1 + W))

  ``S`` high 4, medium 2, low 1; ``E`` the exposure: ``1 − ∏(1 − epss)`` over the item's advisories
  that carry EPSS, else the highest advisory severity (critical 1, high 0.75, medium 0.5, low 0.25),
  0 without advisory; ``W`` the weighted blast radius of the service (as
  :func:`~meta254lib.impact.analysis.analyse_impact` gives it, computed for every planned service at once by
  :func:`~meta254lib.impact.fleet.fleet_impact`); an item
  names its nearest ``dependents_listed`` dependents with why-paths and counts them all;
- **waves**: the topological generations of the ``depends_on`` graph over the planned services and
  everything between them (:func:`~meta254lib.impact.analysis.deploy_waves`), so a provider is upgraded before
  its consumers; services on a cycle share a wave, with a warning. Within a wave, items ship in pull
  request batches (same spec, target and update type; at most ``max_services_per_pr``), at most
  ``max_concurrent_prs`` a day, on ``scheduling.allowed_days`` (0 = Sunday), in hours that no
  maintenance window blocks for the operation; the next wave starts the day after;
- **runbook steps** per item (Assessment, Planning, Implementation, Testing, Deployment, Monitoring,
  Rollback) with the exact ``service-manifest.yaml`` diff, a proposed ``specs.lock.json`` and the
  commands;
- **calendar**, **burn-down** (backlog and expected implemented quality score per week, each week
  rescored with the fixed issues removed), **communications** (who to notify per wave, and when: the
  owners, the teams owning the direct dependents of what changes, the escalation levels and channels).

:func:`track_progress` checks an earlier plan against a later drift report.

Examples
--------
>>> from meta254lib.core.schema import SERVICES, CONTRACTS, SPEC_VERSIONS, frame_from_records as rec
>>> from meta254lib.drift import DriftInputs, detect_drift
>>> services = rec(SERVICES, [{"service": "gateway", "team": "access", "version": "0.1.0",
...                             "maturity": "stable", "runtime": "python", "coverage": 0.88}])
>>> contracts = rec(CONTRACTS, [{"service": "gateway", "spec": "gateway-core", "version": "1.0.0",
...                               "major": 1, "minor": 0, "patch": 0, "valid": True}])
>>> specs = rec(SPEC_VERSIONS, [{"spec": "gateway-core", "version": "1.2.0", "major": 1, "minor": 2,
...                               "patch": 0, "is_latest": True}])
>>> issues = detect_drift(DriftInputs(services, contracts, spec_versions=specs), as_of="2025-10-10").issues
>>> inputs = PlanInputs(issues=issues, services=services, contracts=contracts, spec_versions=specs,
...                     quality=pd.Series({"gateway": 100}))
>>> plan = build_plan(inputs, as_of="2025-10-10")
>>> plan.items[["service", "current", "target", "severity", "escalation", "automation"]].values.tolist()
[['gateway', '1.0.0', '1.2.0', 'medium', 'L2', 'approval']]
>>> str(plan.items.loc[0, "due"].date())
'2025-11-09'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import networkx as nx
import pandas as pd

from ..core.clock import resolve_as_of
from ..core.columns import SERVICE, SEVERITY, TEAM
from ..core.errors import ParameterError, UnknownServiceError
from ..core.names import check_name
from ..core.schema import DRIFT_ISSUES, PLAN_ITEMS, frame_from_records, require_columns
from ..core.settings import DEFAULT_ESCALATION
from ..core.severity import SEVERITIES, SEVERITY_RANK, severity_rank
from .burndown import burndown
from .comms import communications
from .fmt import text as _text
from .fmt import utc_day
from .followup import with_follow_ups
from .inputs import PlanInputs
from .items import group_issues, plan_items
from .lookups import PlanFacts, advisory_maps, impact_by_service, lock_map, pin_map, service_maps
from .policy import PlanPolicy
from .result import RemediationPlan
from .runbook import RunbookCard, item_runbook
from .schedule import assign_waves, mark_due, schedule_items
from .summary import plan_summary
from .targets import spec_index
from .timeline import plan_calendar, waves_frame

if TYPE_CHECKING:
    from ..drift.inputs import DriftInputs
    from ..workspace.workspace import Workspace

__all__ = ["build_plan", "plan_summary", "plan_workspace"]

_Item = dict[str, Any]


def build_plan(
    inputs: PlanInputs,
    as_of: Any = None,
    *,
    team: str | None = None,
    service: str | None = None,
    severity_floor: str | None = None,
    policy: PlanPolicy | None = None,
    drift_inputs: DriftInputs | None = None,
) -> RemediationPlan:
    """Build the remediation plan of one drift run.

    With the drift inputs the issues were detected from, every item's claims are verified by
    simulation (:func:`~meta254lib.remediation.verify.verify_plan`): what an item's edit leaves open
    moves to a follow-up item (:mod:`~meta254lib.remediation.followup`), so each "closes" is true.

    The whole fleet is planned (so every view shows the same waves and dates); ``team`` and
    ``service`` then restrict what the plan shows, its burn-down and its communications.

    Parameters
    ----------
    inputs : PlanInputs
    as_of : str or Timestamp, optional
        Default: the issues' ``as_of``.
    team, service : str, optional
        Show only this team's / service's items.
    severity_floor : {"low", "medium", "high"}, optional
        Leave out issues below this severity (default: plan everything).
    policy : PlanPolicy, optional
        Default: ``inputs.policy``, else :class:`PlanPolicy` ().
    drift_inputs : DriftInputs, optional
        Default: ``inputs.drift_inputs`` when it has them; without them claims are not simulated.

    Returns
    -------
    RemediationPlan

    Raises
    ------
    ParameterError
        Bad ``severity_floor`` or ``as_of``, unknown team.
    UnknownServiceError
        ``service`` is not in the catalog.
    """
    policy = policy or inputs.policy or PlanPolicy()
    as_of = _plan_as_of(inputs.issues, as_of)
    floor = _floor_rank(severity_floor)
    services = service_maps(inputs.services)
    _check_scope(services, team, service)
    issues = _normalised_issues(inputs.issues)
    counted = issues[~issues["exempt"]]
    groups = group_issues(_actionable(counted, floor, services))
    graph = _plan_graph(inputs.graph, services)
    facts = _plan_facts(inputs, policy, as_of, services, counted, graph, sorted({s for s, _, _ in groups}))
    items, claim_warnings = _verified(plan_items(groups, facts), facts, inputs, drift_inputs, as_of)
    items, wave_warning, warnings = assign_waves(items, graph)
    items, slot_warnings = schedule_items(items, facts.start_day, policy)
    items, late_warnings = mark_due(items, policy)
    items, cards = _with_runbooks(items, inputs, facts, _resolved_at(as_of))
    scoped = [it for it in items if _item_in_scope(it, team, service)]
    scope = _scope_services(services, team, service)
    frame = _items_frame(scoped)
    shown = set(frame["id"])
    waves = waves_frame(scoped, wave_warning)
    trend = burndown(counted[counted[SERVICE].isin(list(scope))], scoped, facts.start_day, inputs, scope)
    return RemediationPlan(
        items=frame,
        steps={k: c.steps for k, c in cards.items() if k in shown},
        rollback={k: c.rollback for k, c in cards.items() if k in shown},
        waves=waves,
        calendar=plan_calendar(scoped, waves, facts.start_day, policy),
        burndown=trend,
        communications=_communications(scoped, waves, facts, inputs),
        summary=plan_summary(frame, counted, issues, scope, floor, trend, waves),
        warnings=tuple(
            w
            for w in (*warnings, *claim_warnings, *slot_warnings, *late_warnings)
            if _warning_in_scope(w, scoped, team, service)
        ),
        notes=_notes(inputs, severity_floor),
        as_of=as_of,
        policy=policy,
        parameters={"team": team, "service": service, "severity_floor": severity_floor, "workspace": inputs.workspace},
        escalation=facts.escalation,
    )


def _verified(
    items: list[_Item], facts: PlanFacts, inputs: PlanInputs, drift_inputs: DriftInputs | None, as_of: pd.Timestamp
) -> tuple[list[_Item], list[str]]:
    """The items with their claims verified by simulation and follow-ups added (as they are without inputs)."""
    drift_inputs = drift_inputs if drift_inputs is not None else getattr(inputs, "drift_inputs", None)
    if drift_inputs is None:
        return items, []
    return with_follow_ups(items, facts, drift_inputs, as_of)


def _item_in_scope(it: Mapping[str, Any], team: str | None, service: str | None) -> bool:
    """Whether an item concerns the team or service shown (any service of a root-cause item counts)."""
    services = it.get("services") or (it[SERVICE],)
    teams = it.get("teams") or (it[TEAM],)
    return (not team or team in teams or it[TEAM] == team) and (not service or service in services)


def _plan_as_of(issues: pd.DataFrame, as_of: Any) -> pd.Timestamp:
    """The plan's as-of time: ``as_of``, else the issues' newest ``as_of``."""
    require_columns(issues, DRIFT_ISSUES, ["id", "service", "type", "severity", "subject", "current", "expected"])
    default_as_of = issues["as_of"].dropna().max() if "as_of" in issues and len(issues) else None
    return resolve_as_of(as_of, default_as_of)


def _floor_rank(severity_floor: str | None) -> int:
    """The rank of the lowest severity planned (every severity without a floor)."""
    if severity_floor is None or severity_floor == "":
        return len(SEVERITIES) - 1
    floor = str(severity_floor).strip().lower()
    if floor not in SEVERITY_RANK:
        raise ParameterError(f"severity_floor {severity_floor!r} is not one of {', '.join(SEVERITIES)}")
    return SEVERITY_RANK[floor]


def _check_scope(services: Mapping[str, Mapping[str, Any]], team: str | None, service: str | None) -> None:
    """Fail on a service or team the catalog does not know."""
    if service and service not in services:
        raise UnknownServiceError(service, sorted(services))
    if team:
        check_name("team", team, {_text(r[TEAM]) for r in services.values() if _text(r[TEAM])})


def _normalised_issues(issues: pd.DataFrame) -> pd.DataFrame:
    """A copy of the issues with a boolean ``exempt`` and text (never missing) in the text columns."""
    iss = issues.copy()
    iss["exempt"] = iss["exempt"].astype(bool) if "exempt" in iss else False
    for c in ("subject", "current", "expected", "reason", "advisory_ids", "category"):
        iss[c] = iss[c].map(_text) if c in iss else ""
    return iss


def _actionable(counted: pd.DataFrame, floor: int, services: Mapping[str, Any]) -> pd.DataFrame:
    """The counted issues at or above the floor, on services of the catalog."""
    # a boolean mask even when there is no issue (an empty object Series would select columns instead)
    actionable = counted[counted[SEVERITY].map(lambda s: severity_rank(s) <= floor).astype(bool)]
    return actionable[actionable[SERVICE].isin(sorted(services))]


def _plan_graph(graph: nx.DiGraph | None, services: Mapping[str, Mapping[str, Any]]) -> nx.DiGraph:
    """The workspace graph, or the services as isolated nodes without one."""
    if graph is not None:
        return graph
    G = nx.DiGraph()
    for n, r in services.items():
        G.add_node(n, team=r[TEAM], maturity=r["maturity"], domain=r["domain"])
    return G


def _plan_facts(
    inputs: PlanInputs,
    policy: PlanPolicy,
    as_of: pd.Timestamp,
    services: dict[str, dict[str, Any]],
    counted: pd.DataFrame,
    graph: nx.DiGraph,
    planned: list[str],
) -> PlanFacts:
    """The lookup tables of the plan, with the impact of changing each planned service."""
    quality = inputs.quality if inputs.quality is not None else pd.Series(dtype="Float64")
    drift_by_service = counted.groupby(SERVICE).size().astype("int64")
    adv_index, adv_by_package = advisory_maps(inputs.advisories)
    return PlanFacts(
        services=services,
        pins=pin_map(inputs.contracts),
        locks=lock_map(inputs.lockfiles),
        spec_index=spec_index(inputs.spec_versions),
        advisory_index=adv_index,
        advisories_by_package=adv_by_package,
        quality={str(k): (None if pd.isna(v) else float(v)) for k, v in quality.items()},
        coverage_target=float(getattr(inputs.quality_params, "coverage_target", 0.75) or 0.75),
        impact=impact_by_service(graph, planned, quality, drift_by_service, policy),
        escalation={k: dict(v) for k, v in (inputs.escalation or DEFAULT_ESCALATION).items()},
        policy=policy,
        start_day=utc_day(as_of),
    )


def _resolved_at(as_of: pd.Timestamp) -> str:
    return as_of.strftime("%Y-%m-%dT%H:%M:%SZ")


def _with_runbooks(
    items: Sequence[_Item], inputs: PlanInputs, facts: PlanFacts, resolved_at: str
) -> tuple[list[_Item], dict[str, RunbookCard]]:
    """The items with their diffs, locks and commands, in plan order (wave, priority, id); their cards by id."""
    cards = {
        it["id"]: item_runbook(
            it, facts.services[it[SERVICE]], inputs, facts.policy, facts.pins, facts.locks, resolved_at
        )
        for it in items
    }
    done = [{**it, **cards[it["id"]].fields} for it in items]
    return sorted(done, key=lambda i: (i["wave"], -i["priority"], i["id"])), cards


def _scope_services(services: Mapping[str, Mapping[str, Any]], team: str | None, service: str | None) -> set[str]:
    """The services the plan shows."""
    if not (team or service):
        return set(services)
    return {s for s, r in services.items() if (not team or _text(r[TEAM]) == team) and (not service or s == service)}


def _items_frame(scoped: Sequence[_Item]) -> pd.DataFrame:
    items = frame_from_records(PLAN_ITEMS, scoped)
    if len(items):
        items["issue_ids"] = [tuple(x) for x in items["issue_ids"]]
    return items


def _communications(scoped: Sequence[_Item], waves: pd.DataFrame, facts: PlanFacts, inputs: PlanInputs) -> pd.DataFrame:
    direct_of = {s: imp["integration"][1:] for s, imp in facts.impact.items()}
    team_of = {s: _text(r[TEAM]) for s, r in facts.services.items()}
    return communications(
        scoped, waves, facts.start_day, facts.policy, inputs.teams, facts.escalation, direct_of, team_of
    )


def _notes(inputs: PlanInputs, severity_floor: str | None) -> tuple[str, ...]:
    notes = list(inputs.notes)
    if severity_floor:
        notes.append(f"severity floor {severity_floor}: issues below it are not planned (they stay in the backlog)")
    return tuple(notes)


def _warning_in_scope(w: str, scoped: Sequence[_Item], team: str | None, service: str | None) -> bool:
    """Whether a warning concerns what the plan shows (an item or a wave of it)."""
    if not (team or service):
        return True
    m = re.match(r"(PLAN-[0-9a-f]{10})", w)
    if m:
        return any(it["id"] == m.group(1) for it in scoped)
    m = re.match(r"wave (\d+)", w)
    if m:
        return any(it["wave"] == int(m.group(1)) for it in scoped)
    return True


def plan_workspace(
    ws: Workspace,
    as_of: Any = None,
    *,
    team: str | None = None,
    service: str | None = None,
    severity_floor: str | None = None,
    workspace: str | None = None,
) -> RemediationPlan:
    """:func:`build_plan` on an open workspace (drift detection, quality, policy and manifests included).

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> import meta254lib as m
    >>> root = pathlib.Path(tempfile.mkdtemp()); (root / "catalog").mkdir()
    >>> _ = (root / "catalog" / "service-index.json").write_text(json.dumps({
    ...     "metadata": {"generated_at": "2025-10-10T00:00:00Z"},
    ...     "services": [{"name": "auth", "domain": "access", "maturity": "stable", "version": "1.0.0",
    ...                   "last_update": "2025-01-01T00:00:00Z", "dependencies": {"internal": [], "external": []}}]}))
    >>> plan = plan_workspace(m.open_workspace(root))
    >>> plan.items[["service", "action", "severity", "automation", "escalation"]].values.tolist()
    [['auth', 'refresh_service', 'high', 'manual', 'L3']]
    """
    from .trains import ride_trains  # trains build plans of their own

    if team:
        team = check_name("team", team, ws.services[TEAM].dropna(), case_insensitive=True)
    plan = build_plan(
        PlanInputs.from_workspace(ws, as_of, workspace=workspace),
        as_of=ws.resolve_as_of(as_of),
        team=team,
        service=service,
        severity_floor=severity_floor,
    )
    return ride_trains(plan, ws)

"""The runbook card of one plan item: its phases (Assessment to Monitoring) and its rollback recipe.

Each phase is ``{"phase", "lines", "blocks"}`` where ``blocks`` are ``{"title", "lang", "text"}`` code
blocks: the exact ``service-manifest.yaml`` diff, the proposed ``specs.lock.json`` and the commands.
Names and versions come from the workspace and advisories, so every one put in a command is quoted
for the shell (a no-op for ordinary names).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, NamedTuple

from ..core.columns import SERVICE, SEVERITY
from .edits import manifest_diff, propose_lock, runtime_commands
from .fmt import iso_day, listing
from .fmt import text as _text
from .inputs import PlanInputs
from .policy import PlanPolicy
from .repochange import REPOSITORY_ACTIONS, repository_phases, repository_rollback, rollback_strategy

__all__ = ["RunbookCard", "item_runbook", "workspace_arg"]

_TEST_SUITES: dict[str, tuple[str, str]] = {
    "python": ("python -m pytest tests/", "python -m pytest tests/integration/"),
    "nodejs": ("npm test", "npm run test:integration"),
    "go": ("go test ./...", "go test -tags=integration ./..."),
    "java": ("mvn test", "mvn verify"),
}
_VERSION_ACTIONS = ("upgrade_spec", "security_fix")
_SUITE_LINES = ("Unit tests", "Integration tests", "Contract tests", "End-to-end tests")
_Item = Mapping[str, Any]
_Block = dict[str, str]


class RunbookCard(NamedTuple):
    """What :func:`item_runbook` adds for one item."""

    #: New item fields: ``manifest_file``, ``manifest_diff``, ``proposed_lock``, ``commands``.
    fields: dict[str, Any]
    #: The phases, Assessment to Monitoring.
    steps: tuple[dict[str, Any], ...]
    #: The immediate-rollback recipe ``{"title", "lines", "commands"}``.
    rollback: dict[str, Any]


@dataclass(frozen=True)
class _Edit:
    """The manifest and lock-file change of one item."""

    manifest_file: str
    collected: tuple[str, str] | None
    diff: str
    diff_note: str
    proposed_lock: str


def item_runbook(
    it: _Item,
    info: Mapping[str, Any],
    inputs: PlanInputs,
    policy: PlanPolicy,
    pins: Mapping[str, Mapping[str, str]],
    locks: Mapping[str, Mapping[str, Mapping[str, Any]]],
    resolved_at: str,
) -> RunbookCard:
    """The runbook card of one scheduled plan item.

    Parameters
    ----------
    it : mapping
        The item (with its wave, batch, schedule and the private ``_impact``, ``_recs``... facts).
    info : mapping
        Its service's catalog row (``path``, ``version``).
    inputs : PlanInputs
        For the collected manifests and the workspace name.
    policy : PlanPolicy
    pins, locks : mapping
        service -> spec -> pinned version / lock entry.
    resolved_at : str
        ``resolved_at`` of new lock entries.

    Returns
    -------
    RunbookCard
        The item's new fields, its phases and its rollback recipe; ``it`` is left as it is.
    """
    ws = shlex.quote(workspace_arg(inputs.workspace))
    edit = _edit(it, info, inputs, pins, locks, resolved_at)
    changes = _changes(it, edit)
    impl_lines, impl_blocks, impl_cmds = _implementation(it, edit, changes)
    planning = _planning(it, info, edit, changes, policy, ws)
    if it["action"] in REPOSITORY_ACTIONS:  # a pull request, not a deployment
        phases = repository_phases(it, ws)
        (test_lines, test_cmds), (deploy_lines, checks) = phases["Testing"], phases["Deployment"]
        monitoring, rollback = phases["Monitoring"][0], repository_rollback(it)
        planning = [
            rollback_strategy(it, policy.rollback_triggers) if ln.startswith("Rollback") else ln
            for ln in planning
            if not ln.startswith(_SUITE_LINES)  # no service is rebuilt, so its test suites do not run
        ]
        check_title = "checks after the merge"
    else:
        test_lines, test_cmds = _testing(it, policy)
        deploy_lines, checks = _deployment(it, policy, ws)
        monitoring, rollback = _monitoring(it, ws), _rollback(it, info, edit)
        check_title = "pre-deployment checks"
    steps = (
        {"phase": "Assessment", "lines": _assessment(it, policy), "blocks": []},
        {"phase": "Planning", "lines": planning, "blocks": []},
        {"phase": "Implementation", "lines": impl_lines, "blocks": impl_blocks},
        {"phase": "Testing", "lines": test_lines, "blocks": [_block("tests", "bash", test_cmds)] if test_cmds else []},
        {"phase": "Deployment", "lines": deploy_lines, "blocks": [_block(check_title, "bash", checks)]},
        {"phase": "Monitoring", "lines": monitoring, "blocks": []},
    )
    fields = {
        "manifest_file": edit.manifest_file if edit.diff else "",
        "manifest_diff": edit.diff,
        "proposed_lock": edit.proposed_lock,
        "commands": (*impl_cmds, *test_cmds, *checks),
    }
    return RunbookCard(fields, steps, rollback)


def workspace_arg(workspace: str) -> str:
    """How commands name the workspace: as given when relative, ``.`` (its root) when absolute.

    A plan is shared, so its commands never embed the absolute path of the machine that made it;
    they run from the workspace root instead.

    Examples
    --------
    >>> workspace_arg("data/sample"), workspace_arg("/home/me/src/meta"), workspace_arg("")
    ('data/sample', '.', '.')
    """
    text = str(workspace or "").strip()
    if not text or PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute():
        return "."
    return text


def _block(title: str, lang: str, lines: Sequence[str]) -> _Block:
    return {"title": title, "lang": lang, "text": "\n".join(lines) + "\n"}


def _edit(
    it: _Item,
    info: Mapping[str, Any],
    inputs: PlanInputs,
    pins: Mapping[str, Mapping[str, str]],
    locks: Mapping[str, Mapping[str, Mapping[str, Any]]],
    resolved_at: str,
) -> _Edit:
    """The manifest diff (or why there is none) and the proposed lock file."""
    s, subject, section = it[SERVICE], it["subject"], it["_section"]
    current, target = it["current"], it["target"]
    path = _text(info.get("path")).strip("/")
    manifest_file = f"{path}/service-manifest.yaml" if path else "service-manifest.yaml"
    collected = inputs.manifests.get(s)
    diff, diff_note = "", ""
    if section and current and target and current != target and it["action"] in (*_VERSION_ACTIONS, "align_dependency"):
        old_entry, new_entry = f"{subject}@{current}", f"{subject}@{target}"
        if collected is None:
            diff_note = f"no collected manifest for {s}: change {section} entry {old_entry} to {new_entry} by hand"
        else:
            diff = manifest_diff(collected[1], section, old_entry, new_entry, manifest_file)
            if not diff:
                diff_note = f"{collected[0]} has no {section} entry {old_entry}: edit the manifest by hand"
    proposed_lock = ""
    service_pins = dict(pins.get(s, {}))
    lock_change: dict[str, str] = {}
    if it["action"] in _VERSION_ACTIONS and section == "api_contracts" and target:
        lock_change = {subject: target}
    if service_pins and (lock_change or it["action"] in ("add_lock", "fix_lock")):
        proposed_lock = propose_lock(service_pins, lock_change, locks.get(s), resolved_at)
    return _Edit(manifest_file, collected, diff, diff_note, proposed_lock)


def _assessment(it: _Item, policy: PlanPolicy) -> list[str]:
    """The issues, the impact and dependents, the risk, the exposure and how the priority is computed."""
    impact = it["_impact"]
    near = [f"{d} ({w})" for d, w in zip(impact["dependents"], impact["why"], strict=True)][:10]
    more = len(impact["dependents"]) - len(near)
    many = len(it.get("services") or ()) > 1
    lines = [
        f"{len(it['_recs'])} issue(s): "
        + "; ".join(
            f"{r[SERVICE] + ' ' if many else ''}{r['type']} {r['severity']}: {r['reason']}" for r in it["_recs"]
        ),
        f"Impact: blast radius {it['blast_radius']} (weighted {it['weighted_blast_radius']:g}), severity "
        f"{it['impact_severity']}; {impact['severity_reason']}",
        "Dependent services: " + (", ".join(near) + (f", and {more} more" if more > 0 else "") if near else "none"),
        f"Risk {it['risk_level']}: {it['risk']}",
    ]
    if many:
        owner = {r[SERVICE]: r.get("team") or "no team" for r in it["_recs"]}
        lines.append(
            "Affected services (owners): " + ", ".join(f"{a} ({owner.get(a, 'no team')})" for a in it["services"])
        )
    if it["_exposure_text"]:
        lines.append(f"Exposure {it['exposure']:g} ({it['_exposure_text']}); advisories {', '.join(it['_advisories'])}")
    sw = float(policy.severity_weights.get(it[SEVERITY], 1.0))
    lines.append(
        f"Priority {it['priority']:g} = {sw:g} × (1 + {it['exposure']:g}) × "
        f"(1 + ln(1 + {it['weighted_blast_radius']:g})) "
        "(S[severity] × (1 + E) × (1 + ln(1 + W)))"
    )
    return lines


def _changes(it: _Item, edit: _Edit) -> list[str]:
    """The changes to make, in words."""
    subject, current, target = it["subject"], it["current"], it["target"]
    changes = []
    if target and current and it["action"] in (*_VERSION_ACTIONS, "align_dependency"):
        where = "api_contracts" if it["_section"] == "api_contracts" else "dependencies.external"
        changes.append(f"Change {subject} {current} → {target} ({it['update_type']}) in service-manifest.yaml {where}")
        if it["alternative"]:
            changes.append(f"Alternative: {it['alternative']}")
    if edit.proposed_lock:
        changes.append("Regenerate specs.lock.json (proposed below; check it against what the service resolves)")
    affected = ", ".join(it.get("services") or (it[SERVICE],))
    if it["action"] == "register_events":
        evs = ", ".join(sorted({r["subject"] for r in it["_recs"]}))
        changes.append(
            f"Register the event schema {evs} in the specs repository (a pull request to its events registry), "
            f"or correct the event name in {affected}"
        )
    elif it["action"] == "fix_dependency":
        changes.append(f"Add {subject} to the catalog, or remove it from dependencies.internal of {affected}")
    elif it["action"] == "refresh_service":
        changes.append("Review the service's manifest, pins and dependencies; release it so last_update is fresh")
    elif it["action"] == "fix_version_pin":
        changes.append(f"Pin {subject} to an exact semantic version x.y.z")
    return changes


def _test_requirements(it: _Item, policy: PlanPolicy) -> Mapping[str, bool] | None:
    """``testing_requirements.<update type>`` of the item, ``None`` when it is not a version change."""
    return policy.testing.get(it["update_type"]) if it["update_type"] != "none" else None


def _planning(
    it: _Item, info: Mapping[str, Any], edit: _Edit, changes: Sequence[str], policy: PlanPolicy, ws: str
) -> list[str]:
    """The changes, the tests each circle of dependents runs, the rollback strategy and the timeline."""
    s, impact = it[SERVICE], it["_impact"]
    integ, contract = impact["integration"], impact["contract"]
    listed = policy.dependents_listed
    blast = it["blast_radius"]
    unit = listing((s, *impact["dependents"]), blast + 1, listed + 1)
    if blast > len(impact["dependents"]):
        unit += f" (every dependent: meta254 impact --workspace {ws} --change {shlex.quote('service:' + s)})"
    testing_req = [
        "Unit tests: " + unit,
        "Integration tests: " + listing(integ, len(integ), listed + 1),
        "Contract tests (direct dependents across an event or contract): " + listing(contract, len(contract), listed),
    ]
    tr = _test_requirements(it, policy)
    if tr and tr.get("run_e2e_tests"):
        testing_req.append(f"End-to-end tests (testing_requirements.{it['update_type']}.run_e2e_tests)")
    version = _text(info.get("version"))
    rb_mode = "automatic" if policy.auto_rollback else "manual (rollback.auto_rollback is false)"
    return [
        *changes,
        *testing_req,
        f"Rollback strategy: {rb_mode}; revert the {'manifest and lock ' if edit.diff or edit.proposed_lock else ''}"
        f"change and redeploy {s} {version or '(current)'}"
        + (f"; triggers: {', '.join(policy.rollback_triggers)}" if policy.rollback_triggers else ""),
        f"Timeline: wave {it['wave']}, batch {it['batch']}, scheduled {iso_day(it['scheduled'])}, "
        f"{it['window']}; due {iso_day(it['due'])}",
    ]


def _implementation(it: _Item, edit: _Edit, changes: Sequence[str]) -> tuple[list[str], list[_Block], list[str]]:
    """Lines, code blocks (diff, lock, commands) and package-manager commands of the change."""
    lines: list[str] = []
    blocks: list[_Block] = []
    commands: list[str] = []
    if edit.diff:
        lines.append(f"Apply the edit to {edit.manifest_file} (text from {edit.collected[0]})")  # type: ignore[index]
        blocks.append({"title": f"{edit.manifest_file}", "lang": "diff", "text": edit.diff})
    elif edit.diff_note:
        lines.append(edit.diff_note)
    if edit.proposed_lock:
        lines.append("Write the proposed specs.lock.json (entries without integrity are filled by the resolver)")
        blocks.append({"title": "specs.lock.json (proposed)", "lang": "json", "text": edit.proposed_lock + "\n"})
    runtime = it["_runtime"]
    if it["security"] and it["target"]:
        cmds, note = runtime_commands(runtime, it["_ecosystem"], it["subject"], it["target"])
        if cmds:
            lines.append(f"Update the {runtime or 'service'} dependency (runbook 3.1)")
            commands.extend(cmds)
        if note:
            lines.append(note[0].upper() + note[1:])
    if it["action"] == "upgrade_spec":
        lines.append("Update imports, calls and configuration for the new spec version (runbook 3.4)")
    if not lines:
        lines.append(changes[0] if changes else it["automation_reason"])
    if commands:
        blocks.append(_block("commands", "bash", commands))
    return lines, blocks, commands


def _testing(it: _Item, policy: PlanPolicy) -> tuple[list[str], list[str]]:
    """Lines and commands of the runtime's test suites and the compatibility checks (runbook 4.3)."""
    s, runtime, impact = it[SERVICE], it["_runtime"], it["_impact"]
    integ, contract = impact["integration"], impact["contract"]
    tr = _test_requirements(it, policy)
    unit_cmd, integ_cmd = _TEST_SUITES.get(runtime, ("", ""))
    lines = []
    cmds = []
    run_integ = tr.get("run_integration_tests", True) if tr else True
    if unit_cmd:
        cmds.append(unit_cmd)
        if run_integ:
            cmds.append(integ_cmd)
    else:
        lines.append(f"Run {s}'s unit and integration suites (runtime {runtime or 'unknown'})")
    if cmds:
        lines.append(f"{runtime} suites of {s}: " + "; ".join(cmds))
    if contract or integ:
        compat = sorted(set(contract) | (set(integ) - {s})) or [s]
        lines.append(
            "Compatibility (runbook 4.3): "
            + listing(compat, len(compat), policy.dependents_listed)
            + ": verify API contracts and event schemas against the change"
        )
    if tr and tr.get("run_e2e_tests"):
        lines.append("Run the end-to-end suite")
    return lines, cmds


def _deployment(it: _Item, policy: PlanPolicy, ws: str) -> tuple[list[str], list[str]]:
    """Pre-deployment checks (runbook 5.1), staging then production (5.2), and who approves."""
    s = it[SERVICE]
    q_s = shlex.quote(s)
    checks = [
        f"meta254 validate --workspace {ws} --service {q_s}",
        f"meta254 quality --workspace {ws} --service {q_s}",
        f"meta254 drift --workspace {ws} --service {q_s}",
    ]
    lines = [
        "Pre-deployment checks (runbook 5.1): validate the manifests, confirm "
        f"{s}'s quality score in `meta254 quality` stays >= {policy.automated_min_quality:g}, and confirm "
        f"`meta254 drift --service {s}` {_expectation(it)}",
        "Deploy to staging, run smoke tests, then deploy to production (runbook 5.2)",
    ]
    if it["automation"] == "approval":
        lines.append("Get the approval before merging (runbook: medium-risk changes, --require-approval)")
    elif it["automation"] == "manual":
        lines.append(f"Review by {it['escalation_name'] or it['escalation']} before merging")
    return lines, checks


def _monitoring(it: _Item, ws: str) -> list[str]:
    """What to watch after the deployment, and the drift re-check."""
    s = it[SERVICE]
    watch = ", ".join(it["dependents"][:5]) if it["dependents"] else "no dependent service"
    return [
        f"Watch {s}'s health metrics, error rates and alerts after the deployment, and {watch}",
        f"Re-check drift on {iso_day(it['recheck'])}: meta254 drift --workspace {ws} --service {shlex.quote(s)}"
        + (f" (expect {', '.join(it['issue_ids'])} gone)" if not it.get("leaves_open") else f" ({_expectation(it)})"),
    ]


def _expectation(it: _Item) -> str:
    """What the drift re-check should show: the closed ids gone, and what a follow-up closes."""
    gone = f"no longer lists {', '.join(it['issue_ids'])}" if it["issue_ids"] else "lists the same issue ids"
    if it.get("leaves_open"):
        follow = f" (closed by {it['follow_up']})" if it.get("follow_up") else ""
        gone += f"; {', '.join(it['leaves_open'])} stays open{follow}"
    return gone


def _rollback(it: _Item, info: Mapping[str, Any], edit: _Edit) -> dict[str, Any]:
    """The immediate-rollback recipe: back to the service's current version."""
    s = it[SERVICE]
    version = _text(info.get("version"))
    prev = version or "<previous-version>"
    q_s, q_prev = shlex.quote(s), (shlex.quote(version) if version else prev)
    rb_cmds = [
        "git checkout <previous-commit>",
        f"docker build -t {q_s}:{q_prev} .",
        f"docker push {q_s}:{q_prev}",
        f"kubectl set image deployment/{q_s} {q_s}={q_s}:{q_prev}",
    ]
    rb_lines = [f"Roll {s} back to its current version {prev} (runbook: Immediate Rollback)"]
    if edit.diff:
        rb_lines.append(f"The manifest goes back to {it['subject']}@{it['current']}")
    return {"title": "Immediate rollback", "lines": rb_lines, "commands": rb_cmds}

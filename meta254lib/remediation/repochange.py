"""Runbook phases of items that change a repository, not a deployed service.

Registering an event (``register_events``) is a pull request to the specs repository's events
registry; fixing a dangling dependency (``fix_dependency``) is a pull request to the affected
manifests (or the catalog). Neither builds or deploys an image, so their testing, merge, monitoring
and rollback steps are those of a pull request: checks before merging, a drift re-check after, and
the revert of that pull request as the rollback.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from ..core.columns import SERVICE
from .fmt import iso_day

__all__ = ["REPOSITORY_ACTIONS", "repository_phases", "repository_rollback", "rollback_strategy"]

#: Actions whose change is a pull request to a repository, with no service build or deployment.
REPOSITORY_ACTIONS: dict[str, str] = {
    "register_events": "the specs repository's events registry",
    "fix_dependency": "the manifests of the affected services, or the catalog",
}

_Item = Mapping[str, Any]


def _services(it: _Item) -> tuple[str, ...]:
    return tuple(it.get("services") or (it[SERVICE],))


def _checks(it: _Item, ws: str) -> list[str]:
    """The drift re-check of every affected service."""
    return [f"meta254 drift --workspace {ws} --service {shlex.quote(s)}" for s in _services(it)]


def repository_phases(it: _Item, ws: str) -> dict[str, tuple[list[str], list[str]]]:
    """Testing, Deployment (merge) and Monitoring of a repository change: phase -> (lines, commands).

    Examples
    --------
    >>> it = {"service": "a", "services": ("a", "b"), "action": "register_events", "subject": "x.v1",
    ...       "issue_ids": ("D1", "D2"), "recheck": None, "escalation_name": "Platform Team", "escalation": "L2"}
    >>> phases = repository_phases(it, "ws")
    >>> phases["Deployment"][0][0]
    "Open a pull request to the specs repository's events registry; no service is built or deployed"
    >>> phases["Deployment"][1]
    ['meta254 drift --workspace ws --service a', 'meta254 drift --workspace ws --service b']
    """
    where = REPOSITORY_ACTIONS[it["action"]]
    affected = ", ".join(_services(it))
    checks = _checks(it, ws)
    testing = [
        f"The repository's own checks validate the change ({where}); the services' test suites do not change",
        f"Check with the owners of {affected} that the change matches what they produce and consume",
    ]
    merge = [
        f"Open a pull request to {where}; no service is built or deployed",
        f"Review by {it['escalation_name'] or it['escalation']}, then merge",
        f"After the merge, confirm `meta254 drift` no longer lists {', '.join(it['issue_ids'])}",
    ]
    when = iso_day(it["recheck"]) if it.get("recheck") is not None else "the re-check day"
    monitoring = [f"Re-check drift on {when} for {affected} (expect {', '.join(it['issue_ids'])} gone)"]
    return {"Testing": (testing, []), "Deployment": (merge, checks), "Monitoring": (monitoring, [])}


def repository_rollback(it: _Item) -> dict[str, Any]:
    """The rollback of a repository change: revert its pull request (nothing to redeploy).

    Examples
    --------
    >>> repository_rollback({"service": "a", "action": "fix_dependency", "subject": "b"})["commands"]
    ['git revert <merge-commit>']
    """
    where = REPOSITORY_ACTIONS[it["action"]]
    return {
        "title": "Revert the pull request",
        "lines": [f"Revert the pull request to {where}; no service was redeployed, so none is rolled back"],
        "commands": ["git revert <merge-commit>"],
    }


def rollback_strategy(it: _Item, triggers: Sequence[str]) -> str:
    """The Planning phase's rollback line of a repository change."""
    return f"Rollback strategy: revert the pull request to {REPOSITORY_ACTIONS[it['action']]}" + (
        f"; triggers: {', '.join(triggers)}" if triggers else ""
    )

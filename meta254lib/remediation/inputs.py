"""What a remediation plan reads: :class:`PlanInputs`, and how to collect it from an open workspace."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import networkx as nx
import pandas as pd

from ..drift.inputs import DriftInputs
from ..quality.params import ScoringParams
from ..state.analysis import AnalysisState, analysis_state
from .policy import PlanPolicy, plan_policy_from_config

if TYPE_CHECKING:
    from ..workspace.workspace import Workspace

__all__ = ["PlanInputs"]


@dataclass(frozen=True)
class PlanInputs:
    """Everything :func:`build_plan` reads. Optional tables default to empty.

    Parameters
    ----------
    issues : DataFrame
        :data:`~meta254lib.core.schema.DRIFT_ISSUES` rows of one drift run (exempt ones included).
    services : DataFrame
        ``SERVICES`` (team, team_contact, version, maturity, runtime, coverage, path).
    graph : networkx.DiGraph, optional
        The workspace graph (edges dependent -> dependency with ``relations``); default: the services
        as isolated nodes.
    contracts, spec_versions, advisories, lockfiles, teams : DataFrame, optional
        ``CONTRACTS``, ``SPEC_VERSIONS``, ``ADVISORIES``, ``LOCKFILES``, ``TEAMS``.
    quality : Series, optional
        service -> implemented quality score at as_of.
    quality_metrics : DataFrame, optional
        The latest ``QUALITY_HISTORY`` row per service (for the expected-score projection).
    quality_params : ScoringParams, optional
    manifests : mapping, optional
        service -> (collected manifest file, its text).
    escalation : mapping, optional
        ``L1``/``L2``/``L3`` -> ``{name, contact}`` (teams.yaml), default the runbook's.
    policy : PlanPolicy, optional
    workspace : str
        How to name the workspace in commands (``meta254 drift --workspace ...``).
    notes : tuple of str
        What was missing from the inputs and what that means.
    drift_inputs : DriftInputs, optional
        The tables the issues were detected from: with them the plan's claims are verified by simulation.
    """

    issues: pd.DataFrame
    services: pd.DataFrame
    graph: nx.DiGraph | None = None
    contracts: pd.DataFrame | None = None
    spec_versions: pd.DataFrame | None = None
    advisories: pd.DataFrame | None = None
    lockfiles: pd.DataFrame | None = None
    teams: pd.DataFrame | None = None
    quality: pd.Series | None = None
    quality_metrics: pd.DataFrame | None = None
    quality_params: ScoringParams | None = None
    manifests: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    escalation: Mapping[str, Mapping[str, str]] | None = None
    policy: PlanPolicy | None = None
    workspace: str = "."
    notes: tuple[str, ...] = ()
    drift_inputs: DriftInputs | None = None

    @classmethod
    def from_workspace(cls, ws: Workspace, as_of: Any = None, *, workspace: str | None = None) -> PlanInputs:
        """Collect every input of the plan from the workspace's analysis state at ``as_of``.

        Parameters
        ----------
        ws : Workspace
        as_of : str or Timestamp, optional
            Default: the catalog's ``generated_at``.
        workspace : str, optional
            How to name the workspace in commands (default: its root).

        Returns
        -------
        PlanInputs
        """
        return cls.from_state(analysis_state(ws, as_of), workspace=workspace)

    @classmethod
    def from_state(cls, state: AnalysisState, *, workspace: str | None = None) -> PlanInputs:
        """Every input of the plan, from one analysis state: its drift run, bound quality snapshot and config.

        Parameters
        ----------
        state : AnalysisState
        workspace : str, optional
            How to name the workspace in commands (default: its root).

        Returns
        -------
        PlanInputs
        """
        ws, drift = state.ws, state.drift
        params = state.scoring
        quality = state.quality.scores if state.quality.time is not None else None
        metrics = state.quality.metrics
        notes = []
        if quality is None:
            notes.append(f"{state.quality.note}: automation needs a quality score, so version items are manual")
        for row in drift.not_assessed.itertuples(index=False):
            notes.append(f"not assessed by drift detection: {row.check} ({row.reason})")
        upgrade = ws.upgrade_policies
        if not upgrade:
            notes.append("no config/upgrade-policies.yaml: the platform's default policy is used")
        slo = state.policy.slo_days
        return cls(
            issues=drift.issues,
            services=ws.services,
            graph=ws.graph,
            contracts=ws.contracts,
            spec_versions=ws.spec_versions if ws.has_input("spec_registry") else None,
            advisories=ws.advisories if ws.has_input("advisories") else None,
            lockfiles=ws.lockfiles if ws.has_input("lockfiles") else None,
            teams=ws.teams,
            quality=quality,
            quality_metrics=metrics,
            quality_params=params,
            manifests=_collected_manifests(ws),
            escalation=ws.escalation,
            policy=plan_policy_from_config(upgrade, slo),
            workspace=str(workspace if workspace is not None else ws.root),
            notes=tuple(notes),
            drift_inputs=replace(DriftInputs.from_workspace(ws), policy=state.policy),
        )


def _collected_manifests(ws: Workspace) -> dict[str, tuple[str, str]]:
    """service -> (collected manifest file, its text), the first manifest of each service."""
    manifests: dict[str, tuple[str, str]] = {}
    if ws.has_input("manifests"):
        for svc, rel in ws.manifests[["service", "file"]].itertuples(index=False, name=None):
            if isinstance(svc, str) and isinstance(rel, str) and svc not in manifests:
                path = ws.root / rel
                if path.is_file():
                    manifests[svc] = (rel, path.read_text(encoding="utf-8"))
    return manifests

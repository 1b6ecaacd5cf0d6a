"""One analysis state per workspace and as-of: every fact resolved once, read by the CLI, notebooks and report.

An :class:`AnalysisState` is built from (workspace, as-of, policy) by :func:`analysis_state`, which returns
the same object for the same workspace and as-of. Each fact is computed on first use and kept:

- **as-of**: :func:`~meta254lib.core.clock.resolve_as_of` of the given value, else the catalog's
  ``generated_at`` (the one rule);
- **drift**: meta254's own detection at the as-of (:func:`~meta254lib.drift.engine.detect_drift`), the one
  documented source of the backlog, the drift counts of the weights and the plan's issues;
- **quality**: the snapshot bound to the catalog it was computed from
  (:func:`~meta254lib.quality.binding.bind_quality_snapshot`), scored with the implemented model;
- **weights** and **impact**: :func:`~meta254lib.impact.from_workspace.workspace_impact` weighed with that
  drift and that quality (the plan's fleet weights read the same two series);
- **backlog**: the counted (not exempt) open issues of that drift run, by severity.

Pages print :meth:`AnalysisState.sources` so a reader knows which input each number comes from.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..core.columns import SERVICE, SEVERITY
from ..core.severity import SEVERITIES
from ..drift.engine import DriftResult, detect_drift
from ..drift.policy import DriftPolicy, policy_from_config
from ..graph.build import DEFAULT_RELATIONS
from ..impact.analysis import ImpactResult
from ..impact.changes import Change
from ..impact.from_workspace import workspace_impact
from ..impact.inputs import drift_counts
from ..quality.binding import QualitySnapshot, bind_quality_snapshot
from ..quality.params import ScoringParams
from ..quality.scores import latest_scores

if TYPE_CHECKING:
    from ..workspace.workspace import Workspace

__all__ = ["AnalysisState", "Backlog", "analysis_state"]


@dataclass(frozen=True)
class Backlog:
    """The open drift backlog: counted (not exempt) issues of the state's drift run, by severity."""

    open: int
    by_severity: dict[str, int]
    source: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"open": self.open, "by_severity": dict(self.by_severity), "source": self.source}


@dataclass(eq=False)
class AnalysisState:
    """Every fact of one analysis of a workspace at one as-of, each resolved once.

    Use :func:`analysis_state` to get one; see the module docstring for where each fact comes from.
    """

    ws: Workspace
    as_of: pd.Timestamp
    policy: DriftPolicy
    scoring: ScoringParams
    _impacts: dict[tuple, ImpactResult] = field(default_factory=dict, repr=False)
    _scores: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @cached_property
    def drift(self) -> DriftResult:
        """meta254's drift run at the as-of."""
        return detect_drift(self.ws, as_of=self.as_of, policy=self.policy)

    @property
    def drift_source(self) -> str:
        """``drift: meta254 run at <as-of>``."""
        return f"drift: meta254 run at {self.as_of.isoformat()}"

    @cached_property
    def quality(self) -> QualitySnapshot:
        """The quality snapshot bound to this catalog and as-of."""
        return bind_quality_snapshot(self.ws.quality_history, self.ws.generated_at, self.as_of, self.scoring)

    @property
    def quality_as_of(self) -> pd.Timestamp:
        """The end of quality windows: the later of the as-of and the bound snapshot's time."""
        return self.quality.window_end(self.as_of)

    def quality_scores(self, model: str = "implemented") -> pd.DataFrame:
        """Each catalog service's decomposed score at the bound snapshot (the quality page and CLI rows).

        Services no longer in the catalog are left out, so the platform mean is the one trends show.
        Computed once per model (the index reads them for this week and last, and for the fix-first
        rows); each call gets its own copy.
        """
        if model not in self._scores:
            scores = latest_scores(self.ws.quality_history, model, self.scoring, as_of=self.quality_as_of)
            catalog = set(self.ws.services[SERVICE])
            self._scores[model] = scores[scores[SERVICE].isin(catalog)].reset_index(drop=True)
        return self._scores[model].copy()

    @cached_property
    def drift_counts(self) -> pd.Series:
        """service -> counted open drift issues of the drift run (the weights' ``D``)."""
        counts = drift_counts(self.drift.issues)
        return counts if counts is not None else pd.Series([], dtype="int64", name=SERVICE)

    @cached_property
    def backlog(self) -> Backlog:
        """The open backlog by severity."""
        issues = self.drift.issues
        counted = issues[~issues["exempt"].astype("boolean").fillna(False).astype(bool)]
        by = counted[SEVERITY].value_counts()
        by_severity = {s: int(by.get(s, 0)) for s in SEVERITIES}
        return Backlog(len(counted), by_severity, self.drift_source)

    def impact(
        self,
        changes: str | Change | Iterable[str | Change] | None,
        *,
        relations: str | Iterable[str] | None = DEFAULT_RELATIONS,
        max_depth: int | None = None,
    ) -> ImpactResult:
        """The impact of ``changes``, weighed with this state's drift and quality (cached per question)."""
        key = (_key(changes), _key(relations), max_depth)
        if key not in self._impacts:
            q = self.quality
            result = workspace_impact(
                self.ws,
                changes,
                relations=relations,
                max_depth=max_depth,
                as_of=self.as_of,
                drift_issues=self.drift.issues,
                quality=q.scores,
                quality_snapshot=q.time.isoformat() if q.time is not None else None,
            )
            result.summary["drift_source"] = self.drift_source
            self._impacts[key] = result
        return self._impacts[key]

    def weighted_blast_radius(self, service: str) -> float:
        """The weighted blast radius of changing ``service`` (the number every page shows for it)."""
        return float(self.impact([f"service:{service}"]).summary["weighted_blast_radius"])

    def sources(self) -> dict[str, str]:
        """Where each fact comes from, one line each, for pages and JSON outputs."""
        default = self.ws.generated_at is not None and self.as_of == self.ws.generated_at
        return {
            "as_of": f"as of {self.as_of.isoformat()}" + (" (the catalog's generated_at)" if default else ""),
            "drift": self.drift_source,
            "quality": self.quality.source,
        }


def _key(value: Any) -> Any:
    """A hashable key for a change list or a relation list."""
    if value is None or isinstance(value, (str, Change)):
        return str(value)
    return tuple(str(v) for v in value)


_STATES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def analysis_state(ws: Workspace, as_of: Any = None, *, policy: DriftPolicy | None = None) -> AnalysisState:
    """The analysis state of ``ws`` at ``as_of`` (default: the catalog's ``generated_at``).

    The same workspace object and as-of give the same state, so facts are computed once per process.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> import meta254lib as m
    >>> root = pathlib.Path(tempfile.mkdtemp()); (root / "catalog").mkdir()
    >>> _ = (root / "catalog" / "service-index.json").write_text(json.dumps({
    ...     "metadata": {"generated_at": "2025-10-10T00:00:00Z"},
    ...     "services": [{"name": "auth", "domain": "access", "maturity": "stable", "version": "1.0.0",
    ...                   "last_update": "2025-01-01T00:00:00Z", "dependencies": {"internal": [], "external": []}}]}))
    >>> ws = m.open_workspace(root)
    >>> state = analysis_state(ws)
    >>> state.as_of.isoformat(), state.backlog.open, state is analysis_state(ws, "2025-10-10")
    ('2025-10-10T00:00:00+00:00', 1, True)
    """
    when = ws.resolve_as_of(as_of)
    per_ws = _STATES.setdefault(ws, {})
    key = (when, id(policy) if policy is not None else None)
    if key not in per_ws:
        drift_policy = policy or policy_from_config(ws.thresholds, ws.rules)
        scoring = ScoringParams.from_config(ws.thresholds, ws.rules)
        per_ws[key] = AnalysisState(ws, when, drift_policy, scoring)
    return per_ws[key]

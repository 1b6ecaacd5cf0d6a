"""Impact analysis on an open workspace: its graph, aliases, quality and drift as of a time, a default change."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import networkx as nx
import pandas as pd

from ..core.columns import SERVICE
from ..core.errors import ParameterError
from ..graph.build import DEFAULT_RELATIONS, parse_relations, relation_view
from ..graph.reach import blast_radius_all
from .analysis import ImpactResult, analyse_impact
from .changes import Change, parse_changes
from .inputs import drift_as_of, drift_counts, quality_as_of
from .names import check_changes
from .walk import misfiled_dependents, misfiled_notes
from .weights import ImpactWeights, SeverityRule

if TYPE_CHECKING:
    from ..workspace.heads import HistoryHeads
    from ..workspace.workspace import Workspace

__all__ = ["widest_change", "workspace_impact"]


def widest_change(G: nx.DiGraph, relations: str | Iterable[str] | None = DEFAULT_RELATIONS) -> str:
    """``service:NAME`` for the service with the largest blast radius (ties: the first name).

    The default change of a report run on a workspace the user has not described.

    Parameters
    ----------
    G : networkx.DiGraph
        The workspace graph.
    relations : str or iterable of str, optional
        Which edges count (default ``depends_on`` + ``consumes_event``).

    Returns
    -------
    str

    Raises
    ------
    ParameterError
        When the graph has no service.

    Examples
    --------
    >>> widest_change(nx.DiGraph([("gateway", "auth"), ("streaming", "auth"), ("streaming", "gateway")]))
    'service:auth'
    """
    if G.number_of_nodes() == 0:
        raise ParameterError("changes: the workspace has no service to analyse")
    radius = blast_radius_all(relation_view(G, parse_relations(relations)))
    ranked = sorted(radius.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))
    return f"service:{ranked[0][0]}"


def workspace_impact(
    ws: Workspace,
    changes: str | Change | Iterable[str | Change] | None,
    *,
    relations: str | Iterable[str] | None = DEFAULT_RELATIONS,
    max_depth: int | None = None,
    as_of: Any = None,
    drift_issues: pd.DataFrame | None = None,
    weights: ImpactWeights | None = None,
    severity: SeverityRule | None = None,
    quality: pd.Series | None = None,
    quality_snapshot: str | None = None,
) -> ImpactResult:
    """:func:`~meta254lib.impact.analysis.analyse_impact` on an open workspace, with its quality scores,
    drift and aliases.

    With no change (``None`` or an empty list), the service with the largest blast radius is analysed
    (:func:`widest_change`) and a note says so.

    Quality scores come from the newest snapshot in ``ws.quality_history`` at or before ``as_of``
    (default: the catalog's ``generated_at``). Drift counts come from ``drift_issues`` when given (the
    issues of a drift run), else from the newest report in ``ws.drift_history`` at or before ``as_of``,
    else the drift term is left out. The summary gains ``as_of``, ``quality_snapshot`` (the snapshot
    time used, or None), ``drift_source``, ``misfiled_dependents`` (reached service → the services naming
    it among their externals, which are not counted: see
    :func:`~meta254lib.impact.walk.misfiled_dependents`) and ``notes`` (what is missing and what that
    means, and who the misfiled dependencies leave out).

    Parameters
    ----------
    ws : Workspace
    changes : str, Change, iterable of them, or None
    relations, max_depth, weights, severity
        As for :func:`~meta254lib.impact.analysis.analyse_impact`.
    as_of : timestamp-like, optional
    drift_issues : DataFrame, optional
        The issues of a drift run.
    quality : Series, optional
        service -> quality score to weigh with, instead of the newest snapshot's recorded scores (the
        analysis state passes its bound snapshot's implemented scores, so every page weighs alike).
    quality_snapshot : str, optional
        The time of the snapshot ``quality`` comes from, for the summary.

    Returns
    -------
    ImpactResult

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> import meta254lib as m
    >>> root = pathlib.Path(tempfile.mkdtemp()); (root / "catalog").mkdir()
    >>> _ = (root / "catalog" / "service-index.json").write_text(json.dumps({
    ...     "metadata": {"generated_at": "2025-10-10T00:00:00Z"},
    ...     "services": [{"name": "auth", "domain": "access", "maturity": "stable",
    ...                   "dependencies": {"internal": [], "external": []}},
    ...                  {"name": "gateway", "domain": "access", "maturity": "stable",
    ...                   "dependencies": {"internal": ["auth"], "external": []}}]}))
    >>> r = workspace_impact(m.open_workspace(root), ["service:auth"])
    >>> r.impacted["why"].tolist(), r.summary["drift_source"], r.summary["as_of"]
    (['gateway -depends_on-> auth'], 'none', '2025-10-10T00:00:00+00:00')
    """
    when = ws.resolve_as_of(as_of)
    heads = ws.history_heads() if hasattr(ws, "history_heads") else None
    if quality is None:
        quality, snapshot, quality_notes = quality_as_of(ws, heads, when)
    else:
        snapshot = quality_snapshot
        quality_notes = [] if len(quality) else ["no quality snapshot applies: quality scores are NA"]
    drift, source = _drift_source(ws, heads, when, drift_issues)
    chosen, change_notes = _changes_or_widest(ws.graph, changes, relations)
    check_changes(ws, parse_changes(chosen))
    notes = [*quality_notes, *(["no drift counts: the drift term of the weight is left out"] if drift is None else [])]
    result = analyse_impact(
        ws.graph,
        chosen,
        relations=relations,
        max_depth=max_depth,
        quality=quality,
        drift=drift,
        weights=weights,
        severity=severity,
        aliases=ws.aliases,
    )
    reached = [*result.summary["changed_services"], *result.impacted[SERVICE]]
    misfiled = misfiled_dependents(ws.graph, reached)
    extra = {
        "as_of": when.isoformat(),
        "quality_snapshot": snapshot,
        "drift_source": source,
        "misfiled_dependents": {str(k): list(v) for k, v in misfiled.items()},
    }
    notes += misfiled_notes(misfiled)
    return dataclasses.replace(result, summary={**result.summary, **extra, "notes": [*notes, *change_notes]})


def _drift_source(
    ws: Workspace, heads: HistoryHeads | None, when: pd.Timestamp, drift_issues: pd.DataFrame | None
) -> tuple[pd.Series | None, str]:
    """Drift counts and where they come from: a drift run, the report history, or ``none``."""
    if drift_issues is not None:
        return drift_counts(drift_issues), "drift run"
    drift = drift_as_of(ws, heads, when)
    return drift, "drift report history" if drift is not None else "none"


def _changes_or_widest(
    G: nx.DiGraph,
    changes: str | Change | Iterable[str | Change] | None,
    relations: str | Iterable[str] | None,
) -> tuple[str | Change | Iterable[str | Change], list[str]]:
    """The changes to analyse, or the widest service's change and a note saying so when none is given."""
    if changes is None or (not isinstance(changes, (str, Change)) and not list(changes)):
        widest = widest_change(G, relations)
        note = (
            f"no change given: {widest} is analysed, the service with the largest blast radius "
            f"over {', '.join(parse_relations(relations))}"
        )
        return [widest], [note]
    return changes, []

"""Change impact: what a set of changes reaches, why, how much it weighs, and how to roll it out.

A *change set* mixes four kinds of change (:func:`parse_change`):

``service:NAME``
    the service itself changes; everything that transitively depends on it is impacted.
``spec:NAME@VERSION``
    a spec upgrade: every service pinning the spec is hit directly (hop ``pins_spec``), then
    everything downstream of those.
``event:ID``
    an event schema change: every consumer of the event is hit directly (hop ``consumes_event``),
    then their dependents. Whether the event has a producer in the catalog is reported.
``external:NAME@VERSION``
    an external technology upgrade: every service using it after alias resolution is hit directly
    (hop ``uses_external``), then their dependents.

The walk is the full reverse transitive closure over the chosen relations (a breadth-first search
from the change, so each service gets its shortest distance), bounded only by ``max_depth``; cycles
are fine. A service named by a ``service:`` change is the change itself and never listed as impacted.
Ties between equally short why-paths are broken by change order, then by service name.

Weighted impact (weights are parameters, see :class:`ImpactWeights`)::

    weight = M[maturity] × (1 + a·(1 − Q/100) + b·min(D, Dcap)/Dcap) × decay^(distance − 1)

``M`` ranks maturity (stable > beta > experimental), ``Q`` is the latest quality score (a missing
score counts as risk ``q_missing``), ``D`` the open drift issues (the term is 0 when no drift counts
are given), and the weight halves (``decay``) with every hop beyond the first.

Examples
--------
>>> G = nx.DiGraph()
>>> for n, m in [("auth", "stable"), ("gateway", "stable"), ("metrics", "beta")]:
...     G.add_node(n, domain="access", team="access", maturity=m, externals=(), contracts=(),
...                events_in=(), events_out=())
>>> G.add_edge("gateway", "auth", relation="depends_on", relations=("depends_on",))
>>> G.add_edge("metrics", "gateway", relation="consumes_event", relations=("consumes_event",))
>>> r = analyse_impact(G, ["service:auth"])
>>> r.impacted[["service", "distance", "why"]].values.tolist()
[['gateway', 1, 'gateway -depends_on-> auth'], ['metrics', 2, 'metrics -consumes_event-> gateway -depends_on-> auth']]
>>> r.summary["blast_radius"], r.summary["weighted_blast_radius"], r.summary["severity"]
(2, 1.6875, 'medium')
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import pandas as pd

from ..core.errors import ParameterError, UnknownServiceError
from ..core.schema import IMPACT_CHANGES, IMPACTED
from ..graph.build import DEFAULT_RELATIONS, parse_relations, relation_view
from ..graph.structure import canonical_external
from ..workspace.workspace import history_cutoff

__all__ = [
    "CHANGE_KINDS",
    "Change",
    "ImpactResult",
    "ImpactWeights",
    "RolloutPlan",
    "SeverityRule",
    "analyse_impact",
    "deploy_waves",
    "domain_matrix_figure",
    "drift_counts",
    "impact_figure",
    "impact_headline",
    "impact_summary_table",
    "impacted_table",
    "latest_quality",
    "parse_change",
    "parse_changes",
    "rollout_plan",
    "widest_change",
    "workspace_impact",
]

CHANGE_KINDS: tuple[str, ...] = ("service", "spec", "event", "external")
_ORIGIN_HOP = {"spec": "pins_spec", "event": "consumes_event", "external": "uses_external"}
_CONTRACT_HOPS = frozenset({"consumes_event", "shares_contract", "pins_spec"})
_SEVERITY_ORDER = ("none", "low", "medium", "high", "critical")


# --- changes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One change of a change set.

    Attributes
    ----------
    kind : str
        ``service``, ``spec``, ``event`` or ``external``.
    name : str
        Service name, spec name, event id or external name.
    version : str
        The new version (``spec``/``external``; optional), ``""`` when none.

    Examples
    --------
    >>> c = Change("spec", "gateway-core", "2.0.0")
    >>> c.label, c.target
    ('spec:gateway-core@2.0.0', 'gateway-core@2.0.0')
    """

    kind: str
    name: str
    version: str = ""

    @property
    def target(self) -> str:
        """The changed thing as written in a why-path (``name`` or ``name@version``)."""
        return f"{self.name}@{self.version}" if self.version else self.name

    @property
    def label(self) -> str:
        """``kind:target``: how the change is named in outputs (``caused_by``)."""
        return f"{self.kind}:{self.target}"


def parse_change(text: str | Change) -> Change:
    """Parse one change written ``kind:value`` (canonical) or as on the CLI (``--kind value``).

    Parameters
    ----------
    text : str or Change
        ``service:auth``, ``spec:gateway-core@2.0.0``, ``event:pricing.curve.updates.v1``,
        ``external:redis@8``; equally ``--service auth`` or ``--spec=gateway-core@2.0.0``.

    Returns
    -------
    Change

    Raises
    ------
    ParameterError
        For an unknown kind or an empty value.

    Examples
    --------
    >>> parse_change("--external redis@8")
    Change(kind='external', name='redis', version='8')
    >>> parse_change("event:pricing.curve.updates.v1").label
    'event:pricing.curve.updates.v1'
    >>> parse_change("team:x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    meta254lib.core.errors.ParameterError: change 'team:x': expected KIND:VALUE with KIND one of service, ...
    """
    if isinstance(text, Change):
        if text.kind not in CHANGE_KINDS:
            raise ParameterError(f"change kind {text.kind!r}: expected one of {', '.join(CHANGE_KINDS)}")
        return text
    raw = str(text).strip()
    m = re.fullmatch(r"--([a-z]+)(?:\s+|=)(.+)", raw) or re.fullmatch(r"([a-z]+):(.+)", raw)
    if not m or m.group(1) not in CHANGE_KINDS:
        raise ParameterError(f"change {raw!r}: expected KIND:VALUE with KIND one of {', '.join(CHANGE_KINDS)}")
    kind, value = m.group(1), m.group(2).strip()
    if kind == "event":
        name, version = value, ""
    else:
        name, _, version = value.partition("@")
        name, version = name.strip(), version.strip()
    if not name:
        raise ParameterError(f"change {raw!r}: the {kind} name is empty")
    return Change(kind, name, version)


def parse_changes(items: str | Change | Iterable[str | Change]) -> tuple[Change, ...]:
    """Parse a change set, dropping exact duplicates and keeping the given order.

    Raises
    ------
    ParameterError
        When the set is empty or an item cannot be parsed.

    Examples
    --------
    >>> [c.label for c in parse_changes(["service:auth", "--service auth", "external:postgres@16"])]
    ['service:auth', 'external:postgres@16']
    """
    if isinstance(items, (str, Change)):
        items = [items]
    out: list[Change] = []
    for it in items:
        c = parse_change(it)
        if c not in out:
            out.append(c)
    if not out:
        raise ParameterError("no change given: name at least one --service, --spec, --event or --external")
    return tuple(out)


# --- parameters --------------------------------------------------------------------------------


def _default_maturity() -> dict[str, float]:
    return {"stable": 1.0, "beta": 0.7, "experimental": 0.4, "deprecated": 0.5}


@dataclass(frozen=True)
class ImpactWeights:
    """Weights of the weighted impact (see the module docstring for the formula).

    Attributes
    ----------
    maturity : dict
        ``M``: weight per maturity (stable 1.0 > beta 0.7 > experimental 0.4; deprecated 0.5).
    maturity_other : float
        ``M`` for a maturity not listed (or missing).
    quality : float
        ``a``: weight of quality risk ``1 − Q/100``.
    q_missing : float
        Quality risk used when a service has no score.
    drift : float
        ``b``: weight of drift risk ``min(D, Dcap)/Dcap``.
    drift_cap : int
        ``Dcap``: drift issues beyond this add no more risk.
    decay : float
        Multiplier per hop beyond the first (0 < decay ≤ 1).

    Examples
    --------
    >>> ImpactWeights().weight("stable", 80.0, 0, 1, drift_given=True)
    1.1
    >>> ImpactWeights(decay=0.0)
    Traceback (most recent call last):
    ...
    meta254lib.core.errors.ParameterError: weights: decay must be in (0, 1], found 0.0
    """

    maturity: dict[str, float] = field(default_factory=_default_maturity)
    maturity_other: float = 0.7
    quality: float = 0.5
    q_missing: float = 0.5
    drift: float = 0.5
    drift_cap: int = 5
    decay: float = 0.5

    def __post_init__(self) -> None:
        for name in ("maturity_other", "quality", "q_missing", "drift"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0 or math.isnan(v):
                raise ParameterError(f"weights: {name} must be a number ≥ 0, found {v!r}")
        for k, v in self.maturity.items():
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
                raise ParameterError(f"weights: maturity[{k!r}] must be a number ≥ 0, found {v!r}")
        if not (isinstance(self.decay, (int, float)) and 0 < self.decay <= 1):
            raise ParameterError(f"weights: decay must be in (0, 1], found {self.decay!r}")
        if not isinstance(self.drift_cap, int) or isinstance(self.drift_cap, bool) or self.drift_cap < 1:
            raise ParameterError(f"weights: drift_cap must be an integer ≥ 1, found {self.drift_cap!r}")

    def base(self, maturity: str | None, quality: float | None, drift: int | None, *, drift_given: bool) -> float:
        """The weight of one service before the distance decay and the rounding.

        ``weight(..., distance) == round(base(...) * decay ** (distance - 1), 4)``, computed with the same
        floating-point operations, so callers that weigh many distances at once get identical values.

        Examples
        --------
        >>> round(ImpactWeights().base("beta", None, 5, drift_given=True), 4)  # 0.7 × (1 + 0.5·0.5 + 0.5·1)
        1.225
        """
        m = self.maturity.get(maturity, self.maturity_other) if maturity is not None else self.maturity_other
        if quality is None or pd.isna(quality):
            q_risk = self.q_missing
        else:
            q_risk = 1.0 - min(max(float(quality), 0.0), 100.0) / 100.0
        d_risk = min(int(drift or 0), self.drift_cap) / self.drift_cap if drift_given else 0.0
        return m * (1.0 + self.quality * q_risk + self.drift * d_risk)

    def weight(
        self, maturity: str | None, quality: float | None, drift: int | None, distance: int, *, drift_given: bool
    ) -> float:
        """The weighted impact of one service (rounded to 4 decimals)."""
        w = self.base(maturity, quality, drift, drift_given=drift_given) * self.decay ** max(distance - 1, 0)
        return round(w, 4)

    def formula(self) -> str:
        """The formula with the weights written in.

        Examples
        --------
        >>> print(ImpactWeights().formula())  # doctest: +NORMALIZE_WHITESPACE
        weight = M[maturity] × (1 + 0.5·(1 − Q/100) + 0.5·min(D, 5)/5) × 0.5^(distance − 1);
        M: stable 1, beta 0.7, deprecated 0.5, experimental 0.4, other 0.7;
        Q = latest quality score (missing → quality risk 0.5); D = open drift issues (term 0 when not given)
        """
        ms = ", ".join(f"{k} {v:g}" for k, v in sorted(self.maturity.items(), key=lambda kv: (-kv[1], kv[0])))
        return (
            f"weight = M[maturity] × (1 + {self.quality:g}·(1 − Q/100) + {self.drift:g}·min(D, {self.drift_cap})"
            f"/{self.drift_cap}) × {self.decay:g}^(distance − 1); M: {ms}, other {self.maturity_other:g}; "
            f"Q = latest quality score (missing → quality risk {self.q_missing:g}); "
            "D = open drift issues (term 0 when not given)"
        )

    def to_dict(self) -> dict[str, Any]:
        """The weights as a JSON-ready dict."""
        return {
            "maturity": dict(sorted(self.maturity.items())),
            "maturity_other": self.maturity_other,
            "quality": self.quality,
            "q_missing": self.q_missing,
            "drift": self.drift,
            "drift_cap": self.drift_cap,
            "decay": self.decay,
        }


@dataclass(frozen=True)
class SeverityRule:
    """Overall severity from the weighted blast radius ``W``.

    ``none`` when nothing is impacted; otherwise ``critical`` if ``W ≥ critical``, ``high`` if
    ``W ≥ high``, ``medium`` if ``W ≥ medium``, else ``low``.

    Examples
    --------
    >>> SeverityRule().classify(3.6, 4)
    ('high', 'high: weighted blast radius 3.6 ≥ 3 (critical needs ≥ 6)')
    >>> SeverityRule().classify(0.0, 0)[0]
    'none'
    """

    critical: float = 6.0
    high: float = 3.0
    medium: float = 1.0

    def __post_init__(self) -> None:
        if not (0 <= self.medium <= self.high <= self.critical):
            raise ParameterError(
                f"severity thresholds must satisfy 0 ≤ medium ≤ high ≤ critical, found "
                f"{self.medium}, {self.high}, {self.critical}"
            )

    def text(self) -> str:
        """The rule as one sentence."""
        return (
            f"severity by weighted blast radius W: critical if W ≥ {self.critical:g}, high if W ≥ {self.high:g}, "
            f"medium if W ≥ {self.medium:g}, low if W < {self.medium:g}, none if nothing is impacted"
        )

    def classify(self, weighted: float, count: int) -> tuple[str, str]:
        """``(severity, the rule instance that produced it)``."""
        w = round(float(weighted), 4)
        if count == 0:
            return "none", "none: no service is impacted"
        if w >= self.critical:
            return "critical", f"critical: weighted blast radius {w:g} ≥ {self.critical:g}"
        if w >= self.high:
            return "high", f"high: weighted blast radius {w:g} ≥ {self.high:g} (critical needs ≥ {self.critical:g})"
        if w >= self.medium:
            return "medium", f"medium: weighted blast radius {w:g} ≥ {self.medium:g} (high needs ≥ {self.high:g})"
        return "low", f"low: weighted blast radius {w:g} < {self.medium:g}"


# --- side inputs: quality and drift --------------------------------------------------------------


def latest_quality(quality_history: pd.DataFrame | None, as_of: Any = None) -> pd.Series:
    """Scores of the newest quality snapshot written by the end of ``as_of``'s day (all snapshots when None).

    Parameters
    ----------
    quality_history : DataFrame or None
        :data:`~meta254lib.core.schema.QUALITY_HISTORY` rows (``snapshot_time``, ``service``, ``score``).
    as_of : timestamp-like, optional

    Returns
    -------
    pandas.Series
        service → score (``Float64``) of that one snapshot, sorted by service; empty when there is none.

    Examples
    --------
    >>> h = pd.DataFrame({"snapshot_time": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-02-01"], utc=True),
    ...                   "service": ["a", "a", "b"], "score": [80.0, 90.0, 70.0]})
    >>> latest_quality(h).to_dict(), latest_quality(h, as_of="2025-01-15").to_dict()
    ({'a': 90.0, 'b': 70.0}, {'a': 80.0})
    """
    empty = pd.Series([], dtype="Float64", name="score", index=pd.Index([], name="service", dtype=object))
    if quality_history is None or len(quality_history) == 0:
        return empty
    h = quality_history.dropna(subset=["snapshot_time"])
    if as_of is not None:
        h = h[h["snapshot_time"] <= history_cutoff(as_of)]
    if len(h) == 0:
        return empty
    newest = h[h["snapshot_time"] == h["snapshot_time"].max()]
    s = newest.drop_duplicates("service", keep="last").set_index("service")["score"].astype("Float64")
    s.index = pd.Index(s.index.astype(object), name="service", dtype=object)
    return s.sort_index()


def drift_counts(drift_issues: pd.DataFrame | None, as_of: Any = None) -> pd.Series | None:
    """Open drift issues per service, from a drift run or from the drift report history.

    Parameters
    ----------
    drift_issues : DataFrame or None
        Either the issues of a drift run (:data:`~meta254lib.core.schema.DRIFT_ISSUES`, ``detect_drift(ws).issues``):
        every row counts; or :data:`~meta254lib.core.schema.DRIFT_HISTORY` rows (they have ``report_time``):
        only the newest report at or before ``as_of`` counts. Rows marked ``exempt`` never count.
    as_of : timestamp-like, optional
        Only used with history rows.

    Returns
    -------
    pandas.Series or None
        service → count (``int64``), sorted by service; None when there is nothing to count from, so the
        weight's drift term is left out rather than taken as zero.

    Examples
    --------
    >>> h = pd.DataFrame({"report_time": pd.to_datetime(["2025-01-01"] * 3, utc=True),
    ...                   "service": ["a", "a", "b"], "exempt": [pd.NA, pd.NA, True]})
    >>> drift_counts(h).to_dict()
    {'a': 2}
    >>> drift_counts(pd.DataFrame({"service": ["b", "a", "b"], "exempt": [False, False, False]})).to_dict()
    {'a': 1, 'b': 2}
    """
    if drift_issues is None:
        return None
    h = drift_issues
    if "report_time" in h.columns:
        if len(h) == 0:
            return None
        h = h.dropna(subset=["report_time"])
        if as_of is not None:
            ts = pd.Timestamp(as_of)
            ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
            h = h[h["report_time"] <= ts]
        if len(h) == 0:
            return None
        h = h[h["report_time"] == h["report_time"].max()]
    if "exempt" in h.columns:
        h = h[~h["exempt"].astype("boolean").fillna(False).astype(bool)]
    counts = h.groupby(h["service"].astype(object)).size().astype("int64")
    counts.index = pd.Index(counts.index, name="service", dtype=object)
    return counts.sort_index()


# --- the analysis --------------------------------------------------------------------------------


def _bfs(
    G: nx.DiGraph,
    starts: Sequence[Any],
    start_dist: int,
    max_depth: int | None,
    chosen: tuple[str, ...],
    key: Callable[[Any], Any] | None = str,
) -> tuple[dict[Any, int], dict[Any, Any], dict[Any, str], list[Any]]:
    """Breadth-first walk from ``starts`` up the edges of ``G`` that have any relation in ``chosen``.

    Those are the edges of ``relation_view(G, chosen)``; filtering them here, only where the walk
    goes, spares the view's per-edge checks. Each level is walked in ``key`` order, each node's
    predecessors in ``key`` order, and the first node to reach a predecessor is its parent.
    ``key=None`` (only when every node is a ``str``) sorts the nodes themselves, the order of
    ``str``; the predecessors are then not sorted, since no two names tie and the order of the
    next level does not depend on the order they were found in.

    Returns ``dist``, ``parent`` (``None`` for a start), ``hop`` (the relation of the edge to the
    parent: the first of ``chosen`` it has) and ``order``: every reached node, by distance, then in
    ``key`` order.
    """
    wanted = frozenset(chosen)
    pred = G.pred
    dist = dict.fromkeys(starts, start_dist)
    parent: dict[Any, Any] = dict.fromkeys(starts)
    hop: dict[Any, str] = {}
    hop_of: dict[tuple, str] = {}  # relations of an edge -> its hop
    frontier = sorted(dist, key=key)
    order = list(frontier)
    d = start_dist
    while frontier and (max_depth is None or d < max_depth):
        nxt = []
        for u in frontier:
            into = pred[u]
            # predecessors in key order; with text names no two sort alike, so the sorted frontier
            # below comes out the same whatever order they are visited in
            for p in into if key is None else sorted(into, key=key):
                if p in dist:
                    continue
                attrs = into[p]
                rels = attrs.get("relations", ())
                if wanted.isdisjoint(rels):
                    continue
                dist[p] = d + 1
                parent[p] = u
                h = hop_of.get(rels) if type(rels) is tuple else None
                if h is None:
                    h = next((r for r in chosen if r in rels), attrs.get("relation", "depends_on"))
                    if type(rels) is tuple:
                        hop_of[rels] = h
                hop[p] = h
                nxt.append(p)
        frontier = sorted(nxt, key=key)
        order.extend(frontier)
        d += 1
    return dist, parent, hop, order


def _resolve(G: nx.DiGraph, change: Change, aliases: Mapping[str, str] | None) -> dict[str, Any]:
    """Directly hit services of a change, plus facts for the changes table."""
    info: dict[str, Any] = {"direct": (), "producers": (), "pinned": (), "note": ""}
    if change.kind == "service":
        if change.name not in G:
            raise UnknownServiceError(change.name, [str(n) for n in G.nodes])
        info["direct"] = (change.name,)
        return info
    if change.kind == "spec":
        pins = []
        for n in G.nodes:
            for pin in G.nodes[n].get("contracts", ()):
                spec, _, ver = str(pin).partition("@")
                if spec == change.name:
                    pins.append((n, ver))
        info["direct"] = tuple(sorted({n for n, _ in pins}, key=str))
        info["pinned"] = tuple(sorted(f"{n}@{v}" if v else str(n) for n, v in pins))
        if not pins:
            info["note"] = f"no catalog service pins spec {change.name}"
        elif change.version and all(v == change.version for _, v in pins):
            info["note"] = f"every pinner already pins {change.version}"
        return info
    if change.kind == "event":
        consumers = sorted((n for n in G.nodes if change.name in G.nodes[n].get("events_in", ())), key=str)
        producers = sorted((n for n in G.nodes if change.name in G.nodes[n].get("events_out", ())), key=str)
        info["direct"] = tuple(consumers)
        info["producers"] = tuple(producers)
        notes = []
        if not producers:
            notes.append("no producer in the catalog")
        if not consumers:
            notes.append("no consumer in the catalog")
        info["note"] = "; ".join(notes)
        return info
    canon = canonical_external(change.name, aliases)
    users = sorted(
        (n for n in G.nodes if canon in {canonical_external(e, aliases) for e in G.nodes[n].get("externals", ())}),
        key=str,
    )
    info["direct"] = tuple(users)
    info["canonical"] = canon
    notes = []
    if canon != change.name.lower():
        notes.append(f"{change.name} resolves to {canon}")
    if not users:
        notes.append(f"no catalog service uses {canon}")
    info["note"] = "; ".join(notes)
    return info


@dataclass(frozen=True)
class ImpactResult:
    """The outcome of :func:`analyse_impact`.

    Attributes
    ----------
    changes : DataFrame
        One row per change, in the given order: ``change, kind, name, version, direct, hits, unique,
        max_distance, producers, pinned, note`` (``direct`` = services hit at the first step).
    impacted : DataFrame
        One row per impacted service, sorted by distance then service: ``service, distance, path,
        relations, why, caused_by, distance_by_change, domain, team, maturity, quality_score,
        drift_issues, weight, tests``. ``path`` runs from the impacted service to the change,
        ``relations`` holds the relation of each hop.
    same_domain : DataFrame
        Services sharing a domain with a change's origin that are *not* reached (never counted):
        ``service, domain, team, maturity, same_domain_as``, sorted by domain then service.
    hits : DataFrame
        ``change, service, distance`` for every (change, impacted service) pair, in change order.
    summary : dict
        ``blast_radius, weighted_blast_radius, max_depth, max_depth_limit, domains, teams,
        by_distance, overlap, same_domain_unreachable, severity, severity_rule, severity_reason,
        relations, changed_services, formula``.
    weights : ImpactWeights
    rule : SeverityRule
    """

    changes: pd.DataFrame
    impacted: pd.DataFrame
    same_domain: pd.DataFrame
    hits: pd.DataFrame
    summary: dict[str, Any]
    weights: ImpactWeights
    rule: SeverityRule

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``changes``, ``summary``, ``impacted``, ``same_domain_unreachable``, ``hits``,
        ``parameters``."""
        return {
            "changes": _records(self.changes),
            "summary": _jsonable(self.summary),
            "impacted": _records(self.impacted),
            "same_domain_unreachable": _records(self.same_domain),
            "hits": _records(self.hits),
            "parameters": {"weights": self.weights.to_dict(), "severity": _jsonable(self.rule.__dict__)},
        }


def _jsonable(v: Any) -> Any:
    if isinstance(v, (tuple, list)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _jsonable(v) for k, v in rec.items()} for rec in df.to_dict("records")]


_IMPACTED_COLS = list(IMPACTED.columns)


def _why(path: Sequence[Any], hops: Sequence[str]) -> str:
    parts = [str(path[0])]
    for node, rel in zip(path[1:], hops, strict=True):
        parts.append(f"-{rel}-> {node}")
    return " ".join(parts)


def analyse_impact(
    G: nx.DiGraph,
    changes: str | Change | Iterable[str | Change],
    *,
    relations: str | Iterable[str] | None = DEFAULT_RELATIONS,
    max_depth: int | None = None,
    quality: pd.Series | Mapping[str, float] | None = None,
    drift: pd.Series | Mapping[str, int] | None = None,
    weights: ImpactWeights | None = None,
    severity: SeverityRule | None = None,
    aliases: Mapping[str, str] | None = None,
) -> ImpactResult:
    """Blast radius, why-paths and weighted impact of a change set.

    Parameters
    ----------
    G : networkx.DiGraph
        The workspace graph (:func:`~meta254lib.graph.build.build_graph`; node attributes ``contracts``,
        ``events_in``, ``events_out`` and ``externals`` resolve spec, event and external changes).
    changes : str, Change or iterable of them
        See :func:`parse_change`.
    relations : str or iterable of str, optional
        Which edges count (default ``depends_on`` + ``consumes_event``).
    max_depth : int, optional
        Stop after this many hops (unbounded when None).
    quality : Series or mapping, optional
        service → latest quality score (:func:`latest_quality`).
    drift : Series or mapping, optional
        service → open drift issues (:func:`drift_counts`); None leaves the drift term out.
    weights : ImpactWeights, optional
    severity : SeverityRule, optional
    aliases : mapping, optional
        External-name aliases for ``external:`` changes (default ``postgres`` → ``postgresql``).

    Returns
    -------
    ImpactResult

    Raises
    ------
    UnknownServiceError
        A ``service:`` change names no catalog service.
    ParameterError
        Bad change, relation, depth or weight.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_node("a", domain="d", maturity="beta", contracts=("api@1.0.0",), externals=())
    >>> G.add_node("b", domain="d", maturity="stable", contracts=(), externals=())
    >>> G.add_node("c", domain="d", maturity="beta", contracts=(), externals=())
    >>> G.add_edge("b", "a", relation="depends_on", relations=("depends_on",))
    >>> r = analyse_impact(G, "spec:api@2.0.0")
    >>> r.impacted["why"].tolist(), r.same_domain["service"].tolist()
    (['a -pins_spec-> api@2.0.0', 'b -depends_on-> a -pins_spec-> api@2.0.0'], ['c'])
    """
    change_set = parse_changes(changes)
    chosen = parse_relations(relations)
    if max_depth is not None and (isinstance(max_depth, bool) or not isinstance(max_depth, int) or max_depth < 1):
        raise ParameterError(f"max_depth must be an integer ≥ 1 (or omitted for no limit), found {max_depth!r}")
    weights = weights or ImpactWeights()
    severity = severity or SeverityRule()
    quality_map = dict(quality.items()) if quality is not None else {}
    drift_given = drift is not None
    drift_map = dict(drift.items()) if drift is not None else {}
    relation_view(G, chosen)  # refuses a relation the graph left out; the walk filters the edges itself
    key = None if all(type(n) is str for n in G) else str  # plain text names sort as themselves

    changed_services = {c.name for c in change_set if c.kind == "service"}
    resolved = [_resolve(G, c, aliases) for c in change_set]
    labels = [c.label for c in change_set]
    per_change = []
    for c, info in zip(change_set, resolved, strict=True):
        start_dist = 0 if c.kind == "service" else 1
        per_change.append(_bfs(G, list(info["direct"]), start_dist, max_depth, chosen, key))

    best: dict[Any, tuple[int, int]] = {}
    by_change: dict[Any, dict[str, int]] = {}
    for i, (label, walk) in enumerate(zip(labels, per_change, strict=True)):
        for n, d in walk[0].items():
            if n in changed_services:
                continue
            per = by_change.get(n)
            if per is None:
                by_change[n] = per = {}
            per[label] = d
            b = best.get(n)
            if b is None or (d, i) < b:
                best[n] = (d, i)

    # rows by distance, then name: one walk already visits them in that order
    if len(change_set) == 1:
        order = [n for n in per_change[0][3] if n not in changed_services]
    else:
        order = sorted(best, key=lambda n: (best[n][0], str(n)))
    chains: list[dict[Any, tuple[tuple, tuple, str]]] = [{} for _ in change_set]
    text_names = key is None

    def chain(i: int, n: Any) -> tuple[tuple, tuple, str]:
        """Path to the change, relation of each hop, and why-text of ``n`` in walk ``i`` (memoised)."""
        memo = chains[i]
        got = memo.get(n)
        if got is not None:
            return got
        _, parent, hop, _ = per_change[i]
        stack = []
        cur = n
        while cur not in memo and parent[cur] is not None:
            stack.append(cur)
            cur = parent[cur]
        if cur not in memo:  # the walk's start
            c = change_set[i]
            if c.kind == "service":
                path, hops = (cur,), ()
            else:
                path, hops = (cur, c.target), (_ORIGIN_HOP[c.kind],)
            memo[cur] = (path, hops, _why(path, hops))
        for x in reversed(stack):
            path, hops, why = memo[parent[x]]
            h = hop[x]
            path, hops = (x, *path), (h, *hops)
            memo[x] = (path, hops, f"{x} -{h}-> {why}" if text_names else _why(path, hops))
        return memo[n]

    single = len(change_set) == 1
    fast_weight = type(weights).weight is ImpactWeights.weight
    base_of: dict[tuple[Any, Any, Any], float] = {}
    decay_of: dict[int, float] = {}
    tests_of: dict[tuple[bool, bool], tuple[str, ...]] = {}
    cols: dict[str, list[Any]] = {name: [] for name in _IMPACTED_COLS}
    for n in order:
        d, i = best[n]
        path, hops, why = chain(i, n)
        attrs = G.nodes[n]
        maturity = attrs.get("maturity")
        q = quality_map.get(n)
        if q is not None:
            q = None if (q != q if isinstance(q, float) else pd.isna(q)) else float(q)
        dr = int(drift_map.get(n, 0)) if drift_given else None
        if fast_weight:  # weight() is round(base × decay^(distance − 1), 4): the same operations, shared
            try:
                b = base_of.get((maturity, q, dr))
            except TypeError:  # an unhashable maturity
                b = None
            if b is None:
                b = weights.base(maturity, q, dr, drift_given=drift_given)
                try:
                    base_of[(maturity, q, dr)] = b
                except TypeError:
                    pass
            f = decay_of.get(d)
            if f is None:
                f = decay_of[d] = weights.decay ** max(d - 1, 0)
            w = round(b * f, 4)
        else:
            w = weights.weight(maturity, q, dr, d, drift_given=drift_given)
        test_key = (d == 1, bool(hops) and hops[0] in _CONTRACT_HOPS)
        tests = tests_of.get(test_key)
        if tests is None:
            tests = tests_of[test_key] = ("unit",) + ("integration",) * test_key[0] + ("contract",) * test_key[1]
        per = by_change[n]
        cols["service"].append(n)
        cols["distance"].append(d)
        cols["path"].append(path)
        cols["relations"].append(hops)
        cols["why"].append(why)
        cols["caused_by"].append((labels[0],) if single else tuple(lbl for lbl in labels if lbl in per))
        cols["distance_by_change"].append(dict(per))
        cols["domain"].append(attrs.get("domain"))
        cols["team"].append(attrs.get("team"))
        cols["maturity"].append(maturity)
        cols["quality_score"].append(q)
        cols["drift_issues"].append(dr)
        cols["weight"].append(w)
        cols["tests"].append(tests)
    impacted = pd.DataFrame(cols, columns=_IMPACTED_COLS) if order else pd.DataFrame([], columns=_IMPACTED_COLS)
    impacted["distance"] = impacted["distance"].astype("int64")
    impacted["quality_score"] = impacted["quality_score"].astype("Float64")
    impacted["drift_issues"] = impacted["drift_issues"].astype("Int64")
    impacted["weight"] = impacted["weight"].astype("float64")

    hit_cols: dict[str, list[Any]] = {"change": [], "service": [], "distance": []}
    for label, (dist, _, _, reached) in zip(labels, per_change, strict=True):
        members = [n for n in reached if n not in changed_services]
        hit_cols["change"].extend([label] * len(members))
        hit_cols["service"].extend(members)
        hit_cols["distance"].extend([dist[n] for n in members])
    if hit_cols["service"]:
        hits = pd.DataFrame(hit_cols)
    else:
        hits = pd.DataFrame([], columns=["change", "service", "distance"])
    hits["distance"] = hits["distance"].astype("int64")

    change_rows = []
    for c, label, info in zip(change_set, labels, resolved, strict=True):
        mine = [n for n, per in by_change.items() if label in per]
        change_rows.append(
            {
                "change": label,
                "kind": c.kind,
                "name": c.name,
                "version": c.version,
                "direct": tuple(info["direct"]) if c.kind != "service" else (),
                "hits": len(mine),
                "unique": sum(1 for n in mine if len(by_change[n]) == 1),
                "max_distance": max((by_change[n][label] for n in mine), default=0),
                "producers": tuple(info["producers"]),
                "pinned": tuple(info["pinned"]),
                "note": info["note"],
            }
        )
    changes_df = pd.DataFrame(change_rows, columns=list(IMPACT_CHANGES.columns))

    # same-domain services the change does not reach: listed, never counted
    origin_domains: dict[str, list[str]] = {}
    for c, info in zip(change_set, resolved, strict=True):
        for n in info["direct"]:
            dom = G.nodes[n].get("domain")
            if dom is not None and c.label not in origin_domains.setdefault(dom, []):
                origin_domains[dom].append(c.label)
    same_rows = []
    if origin_domains:
        for n, attrs in G.nodes(data=True):
            dom = attrs.get("domain")
            if dom in origin_domains and n not in best and n not in changed_services:
                same_rows.append(
                    {
                        "service": n,
                        "domain": dom,
                        "team": attrs.get("team"),
                        "maturity": attrs.get("maturity"),
                        "same_domain_as": tuple(origin_domains[dom]),
                    }
                )
    same_rows.sort(key=lambda r: (str(r["domain"]), str(r["service"])))
    same_domain = pd.DataFrame(same_rows, columns=["service", "domain", "team", "maturity", "same_domain_as"])

    weighted = round(float(impacted["weight"].sum()), 4) if len(impacted) else 0.0
    level, reason = severity.classify(weighted, len(impacted))
    distances = cols["distance"]  # ascending
    by_distance = {str(d): len(list(group)) for d, group in itertools.groupby(distances)}
    summary = {
        "blast_radius": len(impacted),
        "weighted_blast_radius": weighted,
        "max_depth": int(distances[-1]) if distances else 0,
        "max_depth_limit": max_depth,
        "domains": sorted({d for d in set(cols["domain"]) if d is not None and not pd.isna(d)}),
        "teams": sorted({t for t in set(cols["team"]) if t is not None and not pd.isna(t)}),
        "by_distance": by_distance,
        "overlap": sorted(str(n) for n, per in by_change.items() if len(per) > 1),
        "same_domain_unreachable": len(same_domain),
        "severity": level,
        "severity_reason": reason,
        "severity_rule": severity.text(),
        "relations": list(chosen),
        "changed_services": sorted(changed_services),
        "formula": weights.formula(),
        "drift_given": drift_given,
        "quality_scores_known": sum(1 for q in cols["quality_score"] if q is not None),
    }
    return ImpactResult(
        changes=changes_df,
        impacted=impacted,
        same_domain=same_domain,
        hits=hits,
        summary=summary,
        weights=weights,
        rule=severity,
    )


def widest_change(G: nx.DiGraph, relations: str | Iterable[str] | None = DEFAULT_RELATIONS) -> str:
    """``service:NAME`` for the service with the largest blast radius (ties: the first name).

    The default change of a report run on a workspace the user has not described.

    Examples
    --------
    >>> widest_change(nx.DiGraph([("gateway", "auth"), ("streaming", "auth"), ("streaming", "gateway")]))
    'service:auth'
    """
    from ..graph.reach import blast_radius_all

    if G.number_of_nodes() == 0:
        raise ParameterError("changes: the workspace has no service to analyse")
    radius = blast_radius_all(relation_view(G, parse_relations(relations)))
    ranked = sorted(radius.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))
    return f"service:{ranked[0][0]}"


def _quality_as_of(ws: Any, heads: Any, when: pd.Timestamp) -> tuple[pd.Series, str | None, list[str]]:
    """Scores of the newest snapshot by the end of ``when``'s day, its time, and notes.

    From ``heads`` (:meth:`~meta254lib.workspace.workspace.Workspace.history_heads`) when the answer lies in
    them (no snapshot at all, the newest one, or none yet), else from the full history; the same
    values either way.
    """
    cutoff = history_cutoff(when)
    times = heads.snapshot_times if heads is not None else None
    if times is not None and (not times or cutoff >= times[-1] or cutoff < times[0]):
        if times and cutoff >= times[-1]:
            return latest_quality(heads.quality, when), times[-1].isoformat(), []
        quality = latest_quality(heads.quality.iloc[:0])
        first = times[0].isoformat() if times else None
    else:
        qh = ws.quality_history
        quality = latest_quality(qh, when)
        if len(quality):
            return quality, qh.loc[qh["snapshot_time"] <= cutoff, "snapshot_time"].max().isoformat(), []
        first = qh["snapshot_time"].min().isoformat() if len(qh) and qh["snapshot_time"].notna().any() else None
    if first is not None:
        note = f"no quality snapshot by the end of the as_of day; the earliest is {first}: quality scores are NA"
    else:
        note = "no quality snapshot in the workspace: quality scores are NA"
    return quality, None, [note]


def _drift_as_of(ws: Any, heads: Any, when: pd.Timestamp) -> pd.Series | None:
    """:func:`drift_counts` of ``ws.drift_history`` as of ``when``, from ``heads`` when they hold the answer."""
    times = heads.report_times if heads is not None else None
    if times is None or (times and times[0] <= when < times[-1]):
        return drift_counts(ws.drift_history, when) if len(ws.drift_history) else None
    if not times or when < times[0]:
        return None
    counts = heads.drift_counts
    out = pd.Series(
        counts["issues"].to_numpy(dtype="int64"),
        index=pd.Index(counts["service"].tolist(), name="service", dtype=object),
    )
    return out.sort_index()


def workspace_impact(
    ws: Any,
    changes: str | Change | Iterable[str | Change] | None,
    *,
    relations: str | Iterable[str] | None = DEFAULT_RELATIONS,
    max_depth: int | None = None,
    as_of: Any = None,
    drift_issues: pd.DataFrame | None = None,
    weights: ImpactWeights | None = None,
    severity: SeverityRule | None = None,
) -> ImpactResult:
    """:func:`analyse_impact` on an open workspace, with its quality scores, drift and aliases.

    With no change (``None`` or an empty list), the service with the largest blast radius is analysed
    (:func:`widest_change`) and a note says so.

    Quality scores come from the newest snapshot in ``ws.quality_history`` at or before ``as_of``
    (default: the catalog's ``generated_at``). Drift counts come from ``drift_issues`` when given (the
    issues of a drift run), else from the newest report in ``ws.drift_history`` at or before ``as_of``,
    else the drift term is left out. The summary gains ``as_of``, ``quality_snapshot`` (the snapshot
    time used, or None), ``drift_source`` and ``notes`` (what is missing and what that means).

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
    quality, snapshot, notes = _quality_as_of(ws, heads, when)
    if drift_issues is not None:
        drift, source = drift_counts(drift_issues), "drift run"
    else:
        drift = _drift_as_of(ws, heads, when)
        source = "drift report history" if drift is not None else "none"
    if drift is None:
        notes.append("no drift counts: the drift term of the weight is left out")
    if changes is None or (not isinstance(changes, (str, Change)) and not list(changes)):
        changes = [widest_change(ws.graph, relations)]
        notes.append(
            f"no change given: {changes[0]} is analysed, the service with the largest blast radius "
            f"over {', '.join(parse_relations(relations))}"
        )
    result = analyse_impact(
        ws.graph,
        changes,
        relations=relations,
        max_depth=max_depth,
        quality=quality,
        drift=drift,
        weights=weights,
        severity=severity,
        aliases=ws.aliases,
    )
    result.summary.update(
        {"as_of": when.isoformat(), "quality_snapshot": snapshot, "drift_source": source, "notes": notes}
    )
    return result


# --- testing and rollout ------------------------------------------------------------------------


@dataclass(frozen=True)
class RolloutPlan:
    """Testing and rollout advice for an impact result.

    Attributes
    ----------
    tests : DataFrame
        ``service, role, distance, unit, integration, contract, reason``; changed services first
        (role ``changed``), then impacted ones by distance and name.
    waves : DataFrame
        ``wave, services, cycle, warning``: deploy wave 1 first; providers go before consumers;
        services on one cycle share a wave (``cycle`` true and a warning).
    rollback : DataFrame
        ``step, wave, services``: the waves in reverse order.
    teams : DataFrame
        ``team, services, n_services, owns_change, nearest_distance, contact, slack``, sorted by
        nearest distance then team.
    warnings : list of str
    """

    tests: pd.DataFrame
    waves: pd.DataFrame
    rollback: pd.DataFrame
    teams: pd.DataFrame
    warnings: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "tests": _records(self.tests),
            "waves": _records(self.waves),
            "rollback": _records(self.rollback),
            "teams": _records(self.teams),
            "warnings": list(self.warnings),
        }


def deploy_waves(H: nx.DiGraph, members: Iterable[Any]) -> pd.DataFrame:
    """Deploy waves of a set of services: providers before their consumers, a cycle in one wave.

    The waves are the topological generations of the condensation of ``H`` restricted to
    ``members`` (edges run dependent → dependency, so a dependency's generation comes first).
    Linear in the members and the edges among them.

    Parameters
    ----------
    H : networkx.DiGraph
        The graph whose edges order the deploys (a :func:`~meta254lib.graph.build.relation_view`).
    members : iterable
        The services to deploy.

    Returns
    -------
    DataFrame
        ``wave, services, cycle, warning``; ``services`` sorted by name, ``cycle`` true when a wave holds
        the members of a cycle (``warning`` then names them).

    Examples
    --------
    >>> H = nx.DiGraph([("gateway", "auth"), ("metrics", "gateway"), ("gateway", "metrics")])
    >>> deploy_waves(H, ["auth", "gateway", "metrics"])[["wave", "services", "cycle"]].values.tolist()
    [[1, ('auth',), False], [2, ('gateway', 'metrics'), True]]
    """
    sub = nx.DiGraph(H.subgraph(set(members)))
    C = nx.condensation(sub)
    wave_rows = []
    for i, generation in enumerate(nx.topological_generations(C.reverse(copy=False))):
        services: list[Any] = []
        cyc = []
        for c in generation:
            mem = sorted(C.nodes[c]["members"], key=str)
            services.extend(mem)
            if len(mem) > 1:
                cyc.append(mem)
        warning = ""
        if cyc:
            warning = "; ".join(
                "cycle " + " ↔ ".join(map(str, m)) + ": deploy together, with backward-compatible changes"
                for m in sorted(cyc, key=lambda m: [str(x) for x in m])
            )
        wave_rows.append(
            {"wave": i + 1, "services": tuple(sorted(services, key=str)), "cycle": bool(cyc), "warning": warning}
        )
    return pd.DataFrame(wave_rows, columns=["wave", "services", "cycle", "warning"])


def rollout_plan(
    G: nx.DiGraph,
    result: ImpactResult,
    *,
    teams: pd.DataFrame | None = None,
) -> RolloutPlan:
    """Which tests to run, in which waves to deploy, how to roll back and whom to tell.

    Tests: every impacted service needs unit tests; those at distance 1 (talking to the change
    directly) also integration tests; those whose first hop towards the change crosses an interface
    (``consumes_event``, ``shares_contract``, ``pins_spec``) also contract tests. Changed services need
    unit and integration tests.

    Waves: the changed and impacted services, ordered by the topological generations of their
    dependency graph (the relations of the analysis) so that a provider deploys before its consumers;
    the members of a cycle share one wave.

    Parameters
    ----------
    G : networkx.DiGraph
    result : ImpactResult
    teams : DataFrame, optional
        :data:`~meta254lib.core.schema.TEAMS` rows for contacts.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> for n in ("auth", "gateway", "metrics"):
    ...     G.add_node(n, team="t-" + n, maturity="beta")
    >>> G.add_edge("gateway", "auth", relation="depends_on", relations=("depends_on",))
    >>> G.add_edge("metrics", "gateway", relation="consumes_event", relations=("consumes_event",))
    >>> G.add_edge("gateway", "metrics", relation="depends_on", relations=("depends_on",))
    >>> plan = rollout_plan(G, analyse_impact(G, "service:auth"))
    >>> plan.waves[["wave", "services", "cycle"]].values.tolist()
    [[1, ('auth',), False], [2, ('gateway', 'metrics'), True]]
    >>> plan.rollback["services"].tolist()
    [('gateway', 'metrics'), ('auth',)]
    """
    chosen = tuple(result.summary["relations"])
    H = relation_view(G, chosen)
    changed = list(result.summary["changed_services"])
    impacted = result.impacted
    members = set(changed) | set(impacted["service"])

    test_rows = [
        {
            "service": n,
            "role": "changed",
            "distance": 0,
            "unit": True,
            "integration": True,
            "contract": False,
            "reason": "the changed service itself",
        }
        for n in changed
    ]
    for r in impacted.itertuples(index=False):
        contract = "contract" in r.tests
        reason = f"{r.relations[0]} {r.path[1]}" if r.distance == 1 else f"{r.distance} hops: {r.why}"
        test_rows.append(
            {
                "service": r.service,
                "role": "impacted",
                "distance": int(r.distance),
                "unit": True,
                "integration": "integration" in r.tests,
                "contract": contract,
                "reason": reason,
            }
        )
    tests = pd.DataFrame(
        test_rows, columns=["service", "role", "distance", "unit", "integration", "contract", "reason"]
    )

    waves = deploy_waves(H, members)
    wave_rows = waves.to_dict("records")
    warnings = [f"wave {w['wave']}: {w['warning']}" for w in wave_rows if w["warning"]]
    rollback = pd.DataFrame(
        [{"step": k + 1, "wave": w["wave"], "services": w["services"]} for k, w in enumerate(reversed(wave_rows))],
        columns=["step", "wave", "services"],
    )

    contact: dict[str, tuple[str, str]] = {}
    if teams is not None and len(teams):
        for rec in teams.to_dict("records"):
            t = rec.get("team")
            if t is not None and not pd.isna(t) and t not in contact:
                c = rec.get("contact")
                s = rec.get("slack")
                contact[t] = ("" if c is None or pd.isna(c) else str(c), "" if s is None or pd.isna(s) else str(s))
    team_services: dict[str, list[tuple[int, Any]]] = {}
    owns: set[str] = set()
    for n in changed:
        t = G.nodes[n].get("team") or "<no team>"
        team_services.setdefault(t, []).append((0, n))
        owns.add(t)
    for r in impacted.itertuples(index=False):
        t = r.team if r.team is not None and not pd.isna(r.team) else "<no team>"
        team_services.setdefault(t, []).append((int(r.distance), r.service))
    team_rows = []
    for t, items in team_services.items():
        team_rows.append(
            {
                "team": t,
                "services": tuple(sorted((n for _, n in items), key=str)),
                "n_services": len(items),
                "owns_change": t in owns,
                "nearest_distance": min(d for d, _ in items),
                "contact": contact.get(t, ("", ""))[0],
                "slack": contact.get(t, ("", ""))[1],
            }
        )
    team_rows.sort(key=lambda r: (r["nearest_distance"], r["team"]))
    team_df = pd.DataFrame(
        team_rows, columns=["team", "services", "n_services", "owns_change", "nearest_distance", "contact", "slack"]
    )
    return RolloutPlan(tests=tests, waves=waves, rollback=rollback, teams=team_df, warnings=warnings)


# --- presentation helpers (plain data; the notebook shows them) ----------------------------------------


def impact_headline(result: ImpactResult, team: str | None = None) -> str:
    """One plain-text line: what changed, how far it reaches, and the severity.

    Examples
    --------
    >>> G = nx.DiGraph([("b", "a")])
    >>> nx.set_edge_attributes(G, ("depends_on",), "relations")
    >>> impact_headline(analyse_impact(G, "service:a"))
    'service:a impacts 1 service (weighted 0.875) in 0 domains, up to 1 hop away: severity low.'
    """
    s = result.summary
    n = s["blast_radius"]
    nd = len(s["domains"])
    text = (
        f"{', '.join(result.changes['change'])} impacts {n} service{'s' if n != 1 else ''} "
        f"(weighted {s['weighted_blast_radius']:g}) in {nd} domain{'s' if nd != 1 else ''}, "
        f"up to {s['max_depth']} hop{'s' if s['max_depth'] != 1 else ''} away: severity {s['severity']}."
    )
    if team:
        mine = int((result.impacted["team"] == team).sum()) if len(result.impacted) else 0
        text += f" Team {team}: {mine} impacted service{'s' if mine != 1 else ''}."
    return text


def impact_summary_table(result: ImpactResult) -> pd.DataFrame:
    """The summary as ``item, value`` rows (strings), including the formula, the severity rule and notes.

    Examples
    --------
    >>> G = nx.DiGraph([("b", "a")])
    >>> nx.set_edge_attributes(G, ("depends_on",), "relations")
    >>> impact_summary_table(analyse_impact(G, "service:a")).iloc[:3].values.tolist()
    [['blast radius', '1'], ['weighted blast radius', '0.875'], ['max depth', '1']]
    """
    s = result.summary
    rows = [
        ("blast radius", str(s["blast_radius"])),
        ("weighted blast radius", f"{s['weighted_blast_radius']:g}"),
        ("max depth", str(s["max_depth"])),
        ("depth limit", "none" if s["max_depth_limit"] is None else str(s["max_depth_limit"])),
        ("relations", ", ".join(s["relations"])),
        ("domains touched", ", ".join(s["domains"]) or "-"),
        ("teams touched", ", ".join(s["teams"]) or "-"),
        ("hit by more than one change", ", ".join(s["overlap"]) or "-"),
        ("same domain, not reachable (not counted)", str(s["same_domain_unreachable"])),
        ("severity", s["severity"]),
        ("severity produced by", s["severity_reason"]),
        ("severity rule", s["severity_rule"]),
        ("weighted impact formula", s["formula"]),
    ]
    for key in ("as_of", "quality_snapshot", "drift_source"):
        if key in s:
            rows.append((key.replace("_", " "), "none" if s[key] is None else str(s[key])))
    rows += [("note", n) for n in s.get("notes", ())]
    return pd.DataFrame(rows, columns=["item", "value"]).astype("str")


def impacted_table(result: ImpactResult, team: str | None = None) -> pd.DataFrame:
    """The impacted services for display: tuples joined into text, optionally one team's rows only.

    Columns ``service, distance, why, caused_by, domain, team, maturity, quality_score, drift_issues,
    weight, tests``, in the order of :attr:`ImpactResult.impacted`.

    Examples
    --------
    >>> G = nx.DiGraph([("b", "a")])
    >>> nx.set_edge_attributes(G, ("depends_on",), "relations")
    >>> impacted_table(analyse_impact(G, "service:a"))[["service", "why", "tests"]].values.tolist()
    [['b', 'b -depends_on-> a', 'unit, integration']]
    """
    df = result.impacted
    if team:
        df = df[df["team"] == team]
    out = df[
        [
            "service",
            "distance",
            "why",
            "caused_by",
            "domain",
            "team",
            "maturity",
            "quality_score",
            "drift_issues",
            "weight",
            "tests",
        ]
    ].copy()
    out["caused_by"] = out["caused_by"].map(", ".join).astype("str")
    out["tests"] = out["tests"].map(", ".join).astype("str")
    return out.reset_index(drop=True)


def domain_matrix_figure(
    G: nx.DiGraph,
    relations: str | Iterable[str] | None = DEFAULT_RELATIONS,
    layers: Mapping[str, int] | None = None,
) -> Any:
    """A heatmap of :func:`~meta254lib.graph.structure.domain_matrix` (dependent domain × dependency domain).

    With ``layers`` the domains are in layer order, so cells right of the diagonal are upward edges.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_node("a", domain="access"); G.add_node("b", domain="shared")
    >>> G.add_edge("a", "b", relations=("depends_on",))
    >>> fig = domain_matrix_figure(G)
    >>> fig.data[0].z.tolist()
    [[0, 1], [0, 0]]
    """
    import plotly.graph_objects as go

    from ..graph.structure import domain_matrix

    mat = domain_matrix(G, relations, layers)
    fig = go.Figure(
        go.Heatmap(
            z=mat.to_numpy(),
            x=list(mat.columns),
            y=list(mat.index),
            colorscale="Blues",
            text=mat.to_numpy(),
            texttemplate="%{text}",
            hovertemplate="%{y} → %{x}: %{z} edge(s)<extra></extra>",
        )
    )
    fig.update_layout(
        title={"text": f"Edges between domains ({', '.join(parse_relations(relations))})"},
        xaxis={"title": {"text": "dependency (provider) domain"}},
        yaxis={"title": {"text": "dependent domain"}, "autorange": "reversed"},
        height=200 + 28 * len(mat),
    )
    return fig


# --- figure -----------------------------------------------------------------------------------------


def impact_figure(
    G: nx.DiGraph,
    result: ImpactResult,
    *,
    layers: Mapping[str, int] | None = None,
    max_nodes: int = 60,
) -> Any:
    """The impacted subgraph as an interactive plotly network.

    Rows are architectural layers (``domain_layers``; domains without a layer go to a row of their
    own at the top), columns the distance from the change (0 = the changes themselves), colour the
    distance. Hovering a node shows its domain, team, maturity, quality, weight and why-path. When
    more than ``max_nodes`` services are impacted, the nearest (then heaviest) ``max_nodes`` are drawn
    and the title says so.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> G = nx.DiGraph([("b", "a")])
    >>> nx.set_edge_attributes(G, ("depends_on",), "relations")
    >>> fig = impact_figure(G, analyse_impact(G, "service:a"))
    >>> fig.layout.title.text
    'Impact of service:a: 1 service impacted'
    """
    import plotly.graph_objects as go

    layers = dict(layers or {})
    imp = result.impacted
    total = len(imp)
    shown = imp.sort_values(["distance", "weight", "service"], ascending=[True, False, True], kind="stable")
    capped = total > max_nodes
    shown = shown.head(max_nodes)

    nodes: dict[Any, dict[str, Any]] = {}
    for n in result.summary["changed_services"]:
        a = G.nodes[n]
        nodes[n] = {"distance": 0, "domain": a.get("domain"), "hover": f"<b>{n}</b><br>changed service"}
    for c in result.changes.itertuples(index=False):
        if c.kind != "service":
            target = f"{c.name}@{c.version}" if c.version else c.name
            nodes[target] = {"distance": 0, "domain": None, "hover": f"<b>{c.change}</b><br>{c.note or ''}"}
    for r in shown.itertuples(index=False):
        q = "n/a" if pd.isna(r.quality_score) else f"{r.quality_score:g}"
        nodes[r.service] = {
            "distance": int(r.distance),
            "domain": r.domain,
            "hover": (
                f"<b>{r.service}</b><br>distance {r.distance} · weight {r.weight:g}<br>"
                f"domain {r.domain} · team {r.team}<br>maturity {r.maturity} · quality {q}<br>"
                f"caused by {', '.join(r.caused_by)}<br>{r.why}"
            ),
        }

    unknown_row = max(layers.values(), default=0) + 1

    def row(dom: Any, node: Any) -> float:
        if node not in G:
            return 0.0
        return float(layers.get(dom, unknown_row)) if dom is not None else float(unknown_row)

    cells: dict[tuple[int, float], list[Any]] = {}
    for n, info in nodes.items():
        cells.setdefault((info["distance"], row(info["domain"], n)), []).append(n)
    # inside a (distance, layer) cell: spread along x, stagger over three heights, labels above/below
    pos: dict[Any, tuple[float, float]] = {}
    label_at: dict[Any, str] = {}
    for (x, y), members in cells.items():
        members.sort(key=str)
        k = len(members)
        for j, n in enumerate(members):
            dy = ((j % 3) - 1) * 0.3 if k > 1 else 0.0
            pos[n] = (x + (j - (k - 1) / 2) * 0.8 / max(k, 1), y + dy)
            label_at[n] = "bottom center" if dy < 0 else "top center"

    ex, ey = [], []
    H = relation_view(G, tuple(result.summary["relations"]))
    for u, v in H.edges:
        if u in pos and v in pos:
            ex += [pos[u][0], pos[v][0], None]
            ey += [pos[u][1], pos[v][1], None]
    for c in result.changes.itertuples(index=False):
        if c.kind != "service":
            target = f"{c.name}@{c.version}" if c.version else c.name
            for n in c.direct:
                if n in pos:
                    ex += [pos[n][0], pos[target][0], None]
                    ey += [pos[n][1], pos[target][1], None]
    names = list(nodes)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=ex, y=ey, mode="lines", line={"width": 1, "color": "#999"}, hoverinfo="skip"))
    fig.add_trace(
        go.Scatter(
            x=[pos[n][0] for n in names],
            y=[pos[n][1] for n in names],
            mode="markers+text",
            text=[str(n) for n in names],
            textposition=[label_at[n] for n in names],
            hovertext=[nodes[n]["hover"] for n in names],
            hoverinfo="text",
            marker={
                "size": 16,
                "color": [nodes[n]["distance"] for n in names],
                "colorscale": "Viridis",
                "showscale": True,
                "colorbar": {"title": {"text": "distance"}},
                "symbol": [
                    "diamond" if n not in G or n in result.summary["changed_services"] else "circle" for n in names
                ],
                "line": {"width": 1, "color": "#333"},
            },
        )
    )
    title = f"Impact of {', '.join(result.changes['change'])}: {total} service{'s' if total != 1 else ''} impacted"
    if capped:
        title += f" (showing the nearest {max_nodes})"
    by_layer = {v: k for k, v in sorted(layers.items(), key=lambda kv: (kv[1], kv[0]))}
    ticks = sorted({y for (_, y) in cells})
    fig.update_layout(
        title={"text": title},
        showlegend=False,
        xaxis={"title": {"text": "distance from the change"}, "dtick": 1, "zeroline": False},
        yaxis={
            "title": {"text": "layer"},
            "tickvals": ticks,
            "ticktext": [
                "change" if y == 0 else by_layer.get(int(y), "no layer") if y != unknown_row else "no layer"
                for y in ticks
            ],
        },
        height=480 + 45 * len(ticks),
        margin={"l": 120},
    )
    return fig

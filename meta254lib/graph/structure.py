"""Structure checks of the service graph against ``config/rules.yaml``.

Checks
------
cycles
    every simple dependency cycle with its full path (``a -> b -> c -> a``), capped at ``max_cycles``;
    the strongly connected components are reported as well, so a capped list still says how many
    services are on cycles.
layering
    an edge ``a -> b`` (``a`` depends on ``b``) is a *violation* when ``layer(a) < layer(b)``: a lower
    layer must not depend on a higher one (``rules.dependency.domain_layers``). An edge whose endpoint
    has a domain without a layer is reported as ``unknown_domain``, never silently skipped.
forbidden
    ``forbidden_reverse_edges`` patterns ``"FROM -> TO"`` matched by meaning: the words
    ``domain-specific`` and ``application`` stand for any domain other than ``shared`` and
    ``infrastructure``; ``*`` and ``any`` for any domain; every other word is a domain name, matched
    exactly.
unauthorized externals
    external dependencies (canonical names after alias resolution) missing from
    ``rules.dependency.allowed_external`` (whose entries are alias-resolved too); an external that names
    a catalog service is flagged as a misfiled internal dependency.
rankings
    the top services by fan-in (dependents), fan-out (dependencies) and betweenness centrality.

Cycles, layering and forbidden patterns are architecture rules about declared dependencies, so they
read the ``depends_on`` edges only. Rankings and ``relation_cycles`` read the relations chosen by the
caller (default ``depends_on`` + ``consumes_event``), the same graph an impact analysis walks.

Examples
--------
>>> G = nx.DiGraph()
>>> G.add_node("ui", domain="access", externals=("redis",))
>>> G.add_node("etl", domain="data-processing", externals=())
>>> G.add_edge("ui", "etl", relation="depends_on", relations=("depends_on",))
>>> rules = {"dependency": {"domain_layers": {"access": 3, "data-processing": 5},
...                         "allowed_external": ["postgresql"]}}
>>> report = structure_checks(G, rules)
>>> report.summary["layering_violations"], report.summary["unauthorized_externals"]
(1, 1)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import pandas as pd

from ..core.errors import InputError
from ..core.schema import STRUCTURE_FINDINGS
from ..core.settings import DEFAULT_EXTERNAL_ALIASES
from .build import DEFAULT_RELATIONS, parse_relations, relation_view

__all__ = [
    "GENERIC_DOMAIN_WORDS",
    "StructureReport",
    "canonical_external",
    "domain_layers",
    "domain_matrix",
    "structure_checks",
]

#: Pattern words that stand for a group of domains, and the domains they exclude.
GENERIC_DOMAIN_WORDS: dict[str, frozenset[str]] = {
    "domain-specific": frozenset({"shared", "infrastructure"}),
    "application": frozenset({"shared", "infrastructure"}),
}
_ANY_WORDS = frozenset({"*", "any"})
_RULES_FILE = "config/rules.yaml"


def canonical_external(name: str, aliases: Mapping[str, str] | None = None) -> str:
    """The canonical name of an external technology (``name@ver`` loses its version).

    Examples
    --------
    >>> canonical_external("Postgres@15"), canonical_external("redis")
    ('postgresql', 'redis')
    """
    aliases = DEFAULT_EXTERNAL_ALIASES if aliases is None else aliases
    base = str(name).split("@", 1)[0].strip().lower()
    return aliases.get(base, base)


def domain_layers(rules: Mapping[str, Any]) -> dict[str, int]:
    """``rules.dependency.domain_layers`` validated as ``{domain: int}`` (``{}`` when absent).

    Raises
    ------
    InputError
        When the mapping or a layer has the wrong type.

    Examples
    --------
    >>> domain_layers({"dependency": {"domain_layers": {"shared": 2, "access": 3}}})
    {'shared': 2, 'access': 3}
    >>> domain_layers({"dependency": {"domain_layers": {"shared": "two"}}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    meta254lib.core.errors.InputError: config/rules.yaml: dependency.domain_layers.shared: expected an integer ...
    """
    dep = (rules or {}).get("dependency") or {}
    if not isinstance(dep, Mapping):
        raise InputError(_RULES_FILE, "dependency", "a mapping", type(dep).__name__)
    layers = dep.get("domain_layers") or {}
    if not isinstance(layers, Mapping):
        raise InputError(_RULES_FILE, "dependency.domain_layers", "a mapping of domain to layer", repr(layers)[:60])
    out = {}
    for k, v in layers.items():
        if isinstance(v, bool) or not isinstance(v, int):
            raise InputError(_RULES_FILE, f"dependency.domain_layers.{k}", "an integer layer", repr(v)[:60])
        out[str(k)] = v
    return out


def _allowed_externals(rules: Mapping[str, Any], aliases: Mapping[str, str] | None) -> set[str] | None:
    dep = (rules or {}).get("dependency") or {}
    if "allowed_external" not in dep:
        return None
    allowed = dep.get("allowed_external") or []
    if not isinstance(allowed, list):
        raise InputError(_RULES_FILE, "dependency.allowed_external", "a list of names", repr(allowed)[:60])
    return {canonical_external(a, aliases) for a in allowed}


@dataclass(frozen=True)
class _Pattern:
    text: str
    source: str
    target: str
    severity: str
    description: str


def _forbidden_patterns(rules: Mapping[str, Any]) -> list[_Pattern]:
    entries = (rules or {}).get("forbidden_reverse_edges") or []
    if not isinstance(entries, list):
        raise InputError(
            _RULES_FILE, "forbidden_reverse_edges", "a list of {pattern, severity}", type(entries).__name__
        )
    out = []
    for i, e in enumerate(entries):
        where = f"forbidden_reverse_edges[{i}]"
        if not isinstance(e, Mapping) or not isinstance(e.get("pattern"), str):
            raise InputError(_RULES_FILE, f"{where}.pattern", "a string 'FROM -> TO'", repr(e)[:60])
        m = re.fullmatch(r"\s*(\S+)\s*->\s*(\S+)\s*", e["pattern"])
        if not m:
            raise InputError(_RULES_FILE, f"{where}.pattern", "the form 'FROM -> TO'", repr(e["pattern"])[:60])
        out.append(
            _Pattern(
                text=e["pattern"].strip(),
                source=m.group(1),
                target=m.group(2),
                severity=str(e.get("severity") or "error"),
                description=str(e.get("description") or ""),
            )
        )
    return out


def _word_matches(word: str, domain: str | None) -> bool:
    if domain is None:
        return False
    if word in _ANY_WORDS:
        return True
    if word in GENERIC_DOMAIN_WORDS:
        return domain not in GENERIC_DOMAIN_WORDS[word]
    return word == domain


def _canonical_cycle(cycle: list[Any]) -> tuple[Any, ...]:
    i = min(range(len(cycle)), key=lambda k: str(cycle[k]))
    return tuple(cycle[i:] + cycle[:i])


def _cycles(H: nx.DiGraph, max_cycles: int) -> tuple[list[tuple[Any, ...]], bool]:
    found: list[tuple[Any, ...]] = []
    truncated = False
    for c in nx.simple_cycles(H):
        if len(found) >= max_cycles:
            truncated = True
            break
        found.append(_canonical_cycle(list(c)))
    found.sort(key=lambda c: (len(c), [str(x) for x in c]))
    return found, truncated


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    for c in columns:
        if rows and all(isinstance(r.get(c), str) for r in rows):
            df[c] = df[c].astype("str")
    return df


@dataclass(frozen=True)
class StructureReport:
    """The structure checks of one graph. Every table is sorted as documented per field.

    Attributes
    ----------
    cycles : DataFrame
        ``cycle, length, services, path`` (shortest first, then by path); ``services`` is the tuple
        of members starting at the alphabetically first, ``path`` the text ``a -> b -> a``.
    components : DataFrame
        ``component, size, services``: strongly connected components with more than one service.
    layering : DataFrame
        ``kind, source, target, source_domain, target_domain, source_layer, target_layer, message``
        (kind ``violation`` or ``unknown_domain``; sorted by kind, source, target).
    forbidden : DataFrame
        ``pattern, severity, source, target, source_domain, target_domain, description``.
    unauthorized : DataFrame
        ``service, external, domain, team, misfiled`` sorted by external, service.
    unknown_domains : DataFrame
        ``domain, services``: domains without a layer (``<missing>`` for services with no domain).
    rankings : DataFrame
        ``metric, rank, service, value`` for fan_in, fan_out, betweenness.
    relation_cycles : DataFrame
        ``component, size, services``: components with more than one service under the chosen
        relations (these share a rollout wave).
    summary : dict
        Counts, the relations used, and ``notes`` on what could not be assessed.
    """

    cycles: pd.DataFrame
    components: pd.DataFrame
    layering: pd.DataFrame
    forbidden: pd.DataFrame
    unauthorized: pd.DataFrame
    unknown_domains: pd.DataFrame
    rankings: pd.DataFrame
    relation_cycles: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)

    def findings(self) -> pd.DataFrame:
        """All rule findings as one table ``check, severity, service, subject, detail``.

        Rows come in check order (cycle, layering, forbidden, unauthorized_external), then the order of
        each table.
        """
        rows: list[dict[str, Any]] = []
        for r in self.cycles.itertuples(index=False):
            rows.append(
                {
                    "check": "cycle",
                    "severity": "error",
                    "service": r.services[0],
                    "subject": "",
                    "detail": r.path,
                }
            )
        for r in self.layering.itertuples(index=False):
            rows.append(
                {
                    "check": "layering" if r.kind == "violation" else "unknown_domain",
                    "severity": "error" if r.kind == "violation" else "warning",
                    "service": r.source,
                    "subject": r.target,
                    "detail": r.message,
                }
            )
        for r in self.forbidden.itertuples(index=False):
            rows.append(
                {
                    "check": "forbidden_edge",
                    "severity": r.severity,
                    "service": r.source,
                    "subject": r.target,
                    "detail": f"{r.source_domain} -> {r.target_domain} matches '{r.pattern}'",
                }
            )
        for r in self.unauthorized.itertuples(index=False):
            detail = "not in dependency.allowed_external"
            if r.misfiled:
                detail += "; names a catalog service (a misfiled internal dependency)"
            rows.append(
                {
                    "check": "unauthorized_external",
                    "severity": "warning",
                    "service": r.service,
                    "subject": r.external,
                    "detail": detail,
                }
            )
        return _frame(rows, list(STRUCTURE_FINDINGS.columns))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (lists of records; tuples become lists)."""

        def records(df: pd.DataFrame) -> list[dict[str, Any]]:
            out = []
            for rec in df.to_dict("records"):
                out.append({k: _jsonable(v) for k, v in rec.items()})
            return out

        return {
            "summary": self.summary,
            "cycles": records(self.cycles),
            "components": records(self.components),
            "layering": records(self.layering),
            "forbidden": records(self.forbidden),
            "unauthorized_externals": records(self.unauthorized),
            "unknown_domains": records(self.unknown_domains),
            "rankings": records(self.rankings),
            "relation_cycles": records(self.relation_cycles),
        }


def _jsonable(v: Any) -> Any:
    if isinstance(v, (tuple, list)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "item"):
        return v.item()
    return v


def _components(H: nx.DiGraph) -> pd.DataFrame:
    comps = [tuple(sorted(c, key=str)) for c in nx.strongly_connected_components(H) if len(c) > 1]
    comps.sort(key=lambda c: (-len(c), [str(x) for x in c]))
    rows = [{"component": i + 1, "size": len(c), "services": c} for i, c in enumerate(comps)]
    return pd.DataFrame(rows, columns=["component", "size", "services"])


def _rankings(H: nx.DiGraph, top: int) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    if H.number_of_nodes() == 0:
        return pd.DataFrame(rows, columns=["metric", "rank", "service", "value"])
    between = nx.betweenness_centrality(H, normalized=True)
    metrics = {
        "fan_in": {n: float(H.in_degree(n)) for n in H.nodes},
        "fan_out": {n: float(H.out_degree(n)) for n in H.nodes},
        "betweenness": {n: round(float(between[n]), 6) for n in H.nodes},
    }
    for metric, values in metrics.items():
        ranked = sorted(values.items(), key=lambda kv: (-kv[1], str(kv[0])))
        ranked = [kv for kv in ranked if kv[1] > 0][:top]
        for i, (n, v) in enumerate(ranked):
            rows.append({"metric": metric, "rank": i + 1, "service": n, "value": v})
    return pd.DataFrame(rows, columns=["metric", "rank", "service", "value"])


def structure_checks(
    G: nx.DiGraph,
    rules: Mapping[str, Any] | None = None,
    *,
    aliases: Mapping[str, str] | None = None,
    relations: str | Iterable[str] | None = DEFAULT_RELATIONS,
    top: int = 5,
    max_cycles: int = 100,
) -> StructureReport:
    """Run every structure check on ``G``.

    Parameters
    ----------
    G : networkx.DiGraph
        The workspace graph (:func:`~meta254lib.graph.build.build_graph`).
    rules : mapping, optional
        The parsed ``config/rules.yaml`` (``{}`` or None when absent: layering, forbidden patterns
        and externals are then reported as not assessed in ``summary["notes"]``).
    aliases : mapping, optional
        External-name aliases (default :data:`meta254lib.core.settings.DEFAULT_EXTERNAL_ALIASES`;
        pass ``ws.aliases`` to include the workspace's own).
    relations : str or iterable of str, optional
        Relations for rankings and ``relation_cycles`` (default ``depends_on`` + ``consumes_event``).
    top : int
        How many services each ranking lists (services with value 0 are left out).
    max_cycles : int
        Stop listing simple cycles after this many (``summary["cycles_truncated"]`` says so).

    Returns
    -------
    StructureReport

    Raises
    ------
    InputError
        When the rules have the wrong shape.
    ParameterError
        For an unknown relation.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> for n, d in [("a", "shared"), ("b", "access"), ("c", None)]:
    ...     G.add_node(n, domain=d, externals=())
    >>> for u, v in [("a", "b"), ("b", "a"), ("b", "c")]:
    ...     G.add_edge(u, v, relation="depends_on", relations=("depends_on",))
    >>> rules = {"dependency": {"domain_layers": {"shared": 2, "access": 3}},
    ...          "forbidden_reverse_edges": [{"pattern": "shared -> domain-specific", "severity": "error"}]}
    >>> r = structure_checks(G, rules)
    >>> r.cycles.loc[0, "path"], r.forbidden.loc[0, "target"]
    ('a -> b -> a', 'b')
    >>> r.layering[["kind", "source", "target"]].values.tolist()
    [['unknown_domain', 'b', 'c'], ['violation', 'a', 'b']]
    """
    rules = rules or {}
    layers = domain_layers(rules)
    patterns = _forbidden_patterns(rules)
    allowed = _allowed_externals(rules, aliases)
    notes: list[str] = []

    D = relation_view(G, ("depends_on",))
    H = relation_view(G, relations)
    dom = {n: G.nodes[n].get("domain") for n in G.nodes}

    cycles, truncated = _cycles(D, max_cycles)
    cycle_df = pd.DataFrame(
        [
            {"cycle": i + 1, "length": len(c), "services": c, "path": " -> ".join(map(str, (*c, c[0])))}
            for i, c in enumerate(cycles)
        ],
        columns=["cycle", "length", "services", "path"],
    )

    layer_rows: list[dict[str, Any]] = []
    unknown: dict[str, set[str]] = {}
    if not layers:
        notes.append("layering not assessed: rules.yaml has no dependency.domain_layers")
    else:
        for n in G.nodes:
            d = dom[n]
            if d not in layers:
                unknown.setdefault(d if d is not None else "<missing>", set()).add(n)
        for u, v in sorted(D.edges, key=lambda e: (str(e[0]), str(e[1]))):
            lu, lv = layers.get(dom[u]), layers.get(dom[v])
            row = {
                "source": u,
                "target": v,
                "source_domain": dom[u],
                "target_domain": dom[v],
                "source_layer": lu,
                "target_layer": lv,
            }
            if lu is None or lv is None:
                which = [f"{x} ({dom[x] or 'no domain'})" for x, lx in ((u, lu), (v, lv)) if lx is None]
                layer_rows.append(
                    {
                        "kind": "unknown_domain",
                        **row,
                        "message": f"no layer for {', '.join(which)}; edge not judged",
                    }
                )
            elif lu < lv:
                layer_rows.append(
                    {
                        "kind": "violation",
                        **row,
                        "message": f"{dom[u]} (layer {lu}) depends on {dom[v]} (layer {lv}), a higher layer",
                    }
                )
    layer_cols = [
        "kind",
        "source",
        "target",
        "source_domain",
        "target_domain",
        "source_layer",
        "target_layer",
        "message",
    ]
    layering = pd.DataFrame(layer_rows, columns=layer_cols)
    if len(layering):
        layering = layering.sort_values(["kind", "source", "target"], kind="stable").reset_index(drop=True)
        layering["source_layer"] = layering["source_layer"].astype("Int64")
        layering["target_layer"] = layering["target_layer"].astype("Int64")
    unknown_df = pd.DataFrame(
        [{"domain": d, "services": tuple(sorted(s))} for d, s in sorted(unknown.items())],
        columns=["domain", "services"],
    )

    forbidden_rows: list[dict[str, Any]] = []
    if not patterns:
        notes.append("forbidden patterns not assessed: rules.yaml has no forbidden_reverse_edges")
    for p in patterns:
        for u, v in sorted(D.edges, key=lambda e: (str(e[0]), str(e[1]))):
            if _word_matches(p.source, dom[u]) and _word_matches(p.target, dom[v]):
                forbidden_rows.append(
                    {
                        "pattern": p.text,
                        "severity": p.severity,
                        "source": u,
                        "target": v,
                        "source_domain": dom[u],
                        "target_domain": dom[v],
                        "description": p.description,
                    }
                )
    forbidden = pd.DataFrame(
        forbidden_rows,
        columns=["pattern", "severity", "source", "target", "source_domain", "target_domain", "description"],
    )

    unauth_rows: list[dict[str, Any]] = []
    if allowed is None:
        notes.append("externals not assessed: rules.yaml has no dependency.allowed_external")
    else:
        for n in G.nodes:
            for ext in G.nodes[n].get("externals", ()):
                canon = canonical_external(ext, aliases)
                if canon not in allowed:
                    unauth_rows.append(
                        {
                            "service": n,
                            "external": canon,
                            "domain": dom[n],
                            "team": G.nodes[n].get("team"),
                            "misfiled": canon in G,
                        }
                    )
    unauthorized = pd.DataFrame(unauth_rows, columns=["service", "external", "domain", "team", "misfiled"])
    if len(unauthorized):
        unauthorized = unauthorized.sort_values(["external", "service"], kind="stable").reset_index(drop=True)

    rankings = _rankings(H, top)
    summary = {
        "services": G.number_of_nodes(),
        "dependency_edges": D.number_of_edges(),
        "relation_edges": H.number_of_edges(),
        "relations": list(parse_relations(relations)),
        "cycles": len(cycle_df),
        "cycles_truncated": truncated,
        "services_on_cycles": int(sum(len(c) for c in nx.strongly_connected_components(D) if len(c) > 1)),
        "layering_violations": int((layering["kind"] == "violation").sum()) if len(layering) else 0,
        "unknown_domain_edges": int((layering["kind"] == "unknown_domain").sum()) if len(layering) else 0,
        "unknown_domains": unknown_df["domain"].tolist(),
        "forbidden_edges": len(forbidden),
        "unauthorized_externals": len(unauthorized),
        "unauthorized_external_names": sorted(set(unauthorized["external"])) if len(unauthorized) else [],
        "notes": notes,
    }
    return StructureReport(
        cycles=cycle_df,
        components=_components(D),
        layering=layering,
        forbidden=forbidden,
        unauthorized=unauthorized,
        unknown_domains=unknown_df,
        rankings=rankings,
        relation_cycles=_components(H),
        summary=summary,
    )


def domain_matrix(
    G: nx.DiGraph,
    relations: str | Iterable[str] | None = DEFAULT_RELATIONS,
    layers: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Edge counts between domains: rows are the dependent's domain, columns the dependency's.

    Services without a domain count under ``<missing>``. Rows and columns are sorted by layer when
    ``layers`` (``domain_layers``) is given, domains without a layer last, then by name; with layers,
    counts above the diagonal are edges pointing up the layers.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_node("a", domain="access"); G.add_node("b", domain="shared"); G.add_node("c", domain="shared")
    >>> G.add_edge("a", "b", relations=("depends_on",)); G.add_edge("a", "c", relations=("depends_on",))
    >>> domain_matrix(G).to_dict()
    {'access': {'access': 0, 'shared': 0}, 'shared': {'access': 2, 'shared': 0}}
    >>> domain_matrix(G, layers={"shared": 2, "access": 3}).index.tolist()
    ['shared', 'access']
    """
    H = relation_view(G, relations)

    def name(n: Any) -> str:
        d = G.nodes[n].get("domain")
        return d if d is not None else "<missing>"

    lay = dict(layers or {})
    domains = sorted({name(n) for n in G.nodes}, key=lambda d: (d not in lay, lay.get(d, 0), d))
    counts = pd.DataFrame(0, index=pd.Index(domains, name="dependent"), columns=domains, dtype="int64")
    counts.columns.name = "dependency"
    for u, v in H.edges:
        counts.loc[name(u), name(v)] += 1
    return counts

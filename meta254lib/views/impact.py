"""Impact analysis for display: the headline, summary and impacted tables, the domain matrix and the impact network.

The tables are plain data (the notebook shows them); the figures are plotly, imported by the functions
that draw.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx
import pandas as pd

from ..core.schema import DOMAIN, MATURITY, SERVICE, TEAM
from ..graph.build import DEFAULT_RELATIONS, parse_relations, relation_view
from ..graph.structure import domain_matrix
from ..impact.analysis import ImpactResult
from ..impact.rollout import wave_rule

__all__ = [
    "IMPACTED_TABLE_COLUMNS",
    "domain_matrix_figure",
    "impact_figure",
    "impact_headline",
    "impact_summary_table",
    "impacted_table",
]

#: Columns of :func:`impacted_table`, in order.
IMPACTED_TABLE_COLUMNS: tuple[str, ...] = (
    SERVICE,
    "distance",
    "why",
    "caused_by",
    DOMAIN,
    TEAM,
    MATURITY,
    "quality_score",
    "drift_issues",
    "weight",
    "tests",
)


def impact_headline(result: ImpactResult, team: str | None = None) -> str:
    """One plain-text line: what changed, how far it reaches, and the severity.

    Examples
    --------
    >>> from meta254lib.impact.analysis import analyse_impact
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
        mine = int((result.impacted[TEAM] == team).sum()) if len(result.impacted) else 0
        text += f" Team {team}: {mine} impacted service{'s' if mine != 1 else ''}."
    return text


def impact_summary_table(result: ImpactResult) -> pd.DataFrame:
    """The summary as ``item, value`` rows (strings), including the formula, the severity rule, the rule of
    the rollout waves (:func:`~meta254lib.impact.rollout.wave_rule`) and the notes (among them who lists a
    reached service among its externals).

    Examples
    --------
    >>> from meta254lib.impact.analysis import analyse_impact
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
        ("rollout waves", wave_rule()),
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
    >>> from meta254lib.impact.analysis import analyse_impact
    >>> G = nx.DiGraph([("b", "a")])
    >>> nx.set_edge_attributes(G, ("depends_on",), "relations")
    >>> impacted_table(analyse_impact(G, "service:a"))[["service", "why", "tests"]].values.tolist()
    [['b', 'b -depends_on-> a', 'unit, integration']]
    """
    df = result.impacted
    if team:
        df = df[df[TEAM].astype(str).str.casefold() == str(team).casefold()]
    out = df[list(IMPACTED_TABLE_COLUMNS)].copy()
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
    >>> from meta254lib.impact.analysis import analyse_impact
    >>> G = nx.DiGraph([("b", "a")])
    >>> nx.set_edge_attributes(G, ("depends_on",), "relations")
    >>> fig = impact_figure(G, analyse_impact(G, "service:a"))
    >>> fig.layout.title.text
    'Impact of service:a: 1 service impacted'
    """
    import plotly.graph_objects as go

    layers = dict(layers or {})
    total = len(result.impacted)
    shown = result.impacted.sort_values(
        ["distance", "weight", SERVICE], ascending=[True, False, True], kind="stable"
    ).head(max_nodes)
    nodes = _figure_nodes(G, result, shown)
    unknown_row = max(layers.values(), default=0) + 1
    cells = _cells(G, nodes, layers, unknown_row)
    pos, label_at = _positions(cells)
    fig = go.Figure()
    fig.add_trace(_edge_trace(G, result, pos))
    fig.add_trace(_node_trace(G, result, nodes, pos, label_at))
    title = f"Impact of {', '.join(result.changes['change'])}: {total} service{'s' if total != 1 else ''} impacted"
    if total > max_nodes:
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


def _change_target(c: Any) -> str:
    """The node name of a non-service change (``name`` or ``name@version``)."""
    return f"{c.name}@{c.version}" if c.version else c.name


def _figure_nodes(G: nx.DiGraph, result: ImpactResult, shown: pd.DataFrame) -> dict[Any, dict[str, Any]]:
    """node → distance, domain and hover text: the changes (distance 0), then the shown impacted services."""
    nodes: dict[Any, dict[str, Any]] = {}
    for n in result.summary["changed_services"]:
        a = G.nodes[n]
        nodes[n] = {"distance": 0, "domain": a.get(DOMAIN), "hover": f"<b>{n}</b><br>changed service"}
    for c in result.changes.itertuples(index=False):
        if c.kind != "service":
            nodes[_change_target(c)] = {"distance": 0, "domain": None, "hover": f"<b>{c.change}</b><br>{c.note or ''}"}
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
    return nodes


def _cells(
    G: nx.DiGraph, nodes: Mapping[Any, dict[str, Any]], layers: Mapping[str, int], unknown_row: int
) -> dict[tuple[int, float], list[Any]]:
    """The nodes of each (distance, layer row) cell; changes that are not services sit on row 0."""

    def row(dom: Any, node: Any) -> float:
        if node not in G:
            return 0.0
        return float(layers.get(dom, unknown_row)) if dom is not None else float(unknown_row)

    cells: dict[tuple[int, float], list[Any]] = {}
    for n, info in nodes.items():
        cells.setdefault((info["distance"], row(info["domain"], n)), []).append(n)
    return {cell: sorted(members, key=str) for cell, members in cells.items()}


def _positions(
    cells: Mapping[tuple[int, float], list[Any]],
) -> tuple[dict[Any, tuple[float, float]], dict[Any, str]]:
    """Inside a (distance, layer) cell: spread along x, stagger over three heights, labels above/below."""
    pos: dict[Any, tuple[float, float]] = {}
    label_at: dict[Any, str] = {}
    for (x, y), members in cells.items():
        k = len(members)
        for j, n in enumerate(members):
            dy = ((j % 3) - 1) * 0.3 if k > 1 else 0.0
            pos[n] = (x + (j - (k - 1) / 2) * 0.8 / max(k, 1), y + dy)
            label_at[n] = "bottom center" if dy < 0 else "top center"
    return pos, label_at


def _edge_trace(G: nx.DiGraph, result: ImpactResult, pos: Mapping[Any, tuple[float, float]]) -> Any:
    """The edges between drawn nodes, and from each directly hit service to its non-service change."""
    import plotly.graph_objects as go

    ex: list[float | None] = []
    ey: list[float | None] = []
    H = relation_view(G, tuple(result.summary["relations"]))
    for u, v in H.edges:
        if u in pos and v in pos:
            ex += [pos[u][0], pos[v][0], None]
            ey += [pos[u][1], pos[v][1], None]
    for c in result.changes.itertuples(index=False):
        if c.kind != "service":
            target = _change_target(c)
            for n in c.direct:
                if n in pos:
                    ex += [pos[n][0], pos[target][0], None]
                    ey += [pos[n][1], pos[target][1], None]
    return go.Scatter(x=ex, y=ey, mode="lines", line={"width": 1, "color": "#999"}, hoverinfo="skip")


def _node_trace(
    G: nx.DiGraph,
    result: ImpactResult,
    nodes: Mapping[Any, dict[str, Any]],
    pos: Mapping[Any, tuple[float, float]],
    label_at: Mapping[Any, str],
) -> Any:
    """The nodes, coloured by distance; changes are diamonds."""
    import plotly.graph_objects as go

    names = list(nodes)
    return go.Scatter(
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
            "symbol": ["diamond" if n not in G or n in result.summary["changed_services"] else "circle" for n in names],
            "line": {"width": 1, "color": "#333"},
        },
    )

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
from ..state.analysis import AnalysisState
from .sources import sources_markdown
from .weekly import fmt_score, to_minute

__all__ = [
    "IMPACTED_TABLE_COLUMNS",
    "domain_matrix_figure",
    "impact_figure",
    "impact_headline",
    "impact_sources_markdown",
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


def impact_headline(result: ImpactResult, team: str | None = None, *, widest: bool = False) -> str:
    """One plain-text line: what changed, how far it reaches, and the severity.

    With ``widest`` (no change was given, so the page analyses the service with the largest blast
    radius) the line says it is a what-if on that service, not an alert.

    Examples
    --------
    >>> from meta254lib.impact.analysis import analyse_impact
    >>> G = nx.DiGraph([("b", "a"), ("c", "b")])
    >>> nx.set_edge_attributes(G, ("depends_on",), "relations")
    >>> impact_headline(analyse_impact(G, "service:a"))
    'service:a impacts 2 services (weighted 1.3) in 0 domains, up to 2 hops away: severity medium.'
    >>> impact_headline(analyse_impact(G, "service:a"), widest=True)  # doctest: +NORMALIZE_WHITESPACE
    'What-if on the widest service: if a changed, 2 services would be impacted (weighted 1.3) in 0 domains,
     up to 2 hops away: severity medium.'
    """
    s = result.summary
    n = s["blast_radius"]
    nd = len(s["domains"])
    services = f"{n} service{'s' if n != 1 else ''}"
    reach = (
        f"(weighted {fmt_score(s['weighted_blast_radius'])}) in {nd} domain{'s' if nd != 1 else ''}, "
        f"up to {s['max_depth']} hop{'s' if s['max_depth'] != 1 else ''} away: severity {s['severity']}."
    )
    changes = ", ".join(result.changes["change"])
    if widest:
        names = ", ".join(result.summary["changed_services"]) or changes
        text = f"What-if on the widest service: if {names} changed, {services} would be impacted {reach}"
    else:
        text = f"{changes} impacts {services} {reach}"
    if team:
        mine = int((result.impacted[TEAM] == team).sum()) if len(result.impacted) else 0
        text += f" Team {team}: {mine} impacted service{'s' if mine != 1 else ''}."
    return text


def impact_sources_markdown(state: AnalysisState, *, waves: str | None = None) -> str:
    """The page's Sources line (:func:`~meta254lib.views.sources.sources_markdown`) with times to the minute in UTC.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> import meta254lib as m
    >>> root = pathlib.Path(tempfile.mkdtemp()); (root / "catalog").mkdir()
    >>> _ = (root / "catalog" / "service-index.json").write_text(json.dumps({
    ...     "metadata": {"generated_at": "2025-10-10T06:00:30.5Z"}, "services": [{"name": "a"}]}))
    >>> impact_sources_markdown(m.analysis_state(m.open_workspace(root))).split("; ")[1]
    'drift: meta254 run at 2025-10-10 06:00 UTC'
    """
    return to_minute(sources_markdown(state, waves=waves))


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
    [['blast radius', '1'], ['weighted blast radius', '0.9'], ['max depth', '1']]
    """
    s = result.summary
    rows = [
        ("blast radius", str(s["blast_radius"])),
        ("weighted blast radius", fmt_score(s["weighted_blast_radius"])),
        ("max depth", str(s["max_depth"])),
        ("depth limit", "none" if s["max_depth_limit"] is None else str(s["max_depth_limit"])),
        ("relations", ", ".join(s["relations"])),
        ("domains touched", ", ".join(s["domains"]) or "-"),
        ("teams touched", ", ".join(s["teams"]) or "-"),
        ("hit by more than one change", ", ".join(s["overlap"]) or "-"),
        ("same domain, not reachable (not counted)", str(s["same_domain_unreachable"])),
        ("severity", s["severity"]),
        ("severity produced by", _reason_text(s["severity_reason"], s["weighted_blast_radius"])),
        ("severity rule", s["severity_rule"]),
        ("weighted impact formula", s["formula"]),
        ("rollout waves", wave_rule()),
    ]
    for key in ("as_of", "quality_snapshot", "drift_source"):
        if key in s:
            rows.append((key.replace("_", " "), "none" if s[key] is None else str(s[key])))
    rows += [("note", n) for n in s.get("notes", ())]
    return pd.DataFrame(rows, columns=["item", "value"]).astype("str")


def _reason_text(reason: str, weighted: float) -> str:
    """The severity reason with the weighted blast radius to two decimals (the rule's own text has four)."""
    exact = f"weighted blast radius {round(float(weighted), 4):g}"
    return reason.replace(exact, f"weighted blast radius {float(weighted):.2f}")


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
    max_labels: int = 25,
) -> Any:
    """The impacted subgraph as an interactive plotly network.

    Rows are architectural layers (``domain_layers``; domains without a layer go to a row of their
    own at the top), columns the distance from the change (0 = the changes themselves). Each whole hop
    has its own colour, named in the legend. The changes are always labelled; other services are
    labelled nearest first while their names fit without overlapping another label or node (at most
    ``max_labels``), and every node shows its domain, team, maturity, quality, weight and why-path on
    hover. When more than ``max_nodes`` services are impacted, the nearest (then heaviest)
    ``max_nodes`` are drawn and the title says so.

    Returns
    -------
    plotly.graph_objects.Figure
        Trace 0 the edges, trace 1 the nodes (``marker.color`` the distance), then one legend entry
        per hop.

    Examples
    --------
    >>> from meta254lib.impact.analysis import analyse_impact
    >>> G = nx.DiGraph([("b", "a")])
    >>> nx.set_edge_attributes(G, ("depends_on",), "relations")
    >>> fig = impact_figure(G, analyse_impact(G, "service:a"))
    >>> fig.layout.title.text, [t.name for t in fig.data[2:]]
    ('Impact of service:a: 1 service impacted', ['change', '1 hop'])
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
    pos = _positions(cells)
    ticks = sorted({y for (_, y) in cells})
    height = 480 + 45 * len(ticks)
    frame = _Frame.of(pos, height)
    labels = _labels(list(nodes), pos, frame, sum(1 for n in nodes if nodes[n]["distance"] == 0) + max_labels)
    hops = max((info["distance"] for info in nodes.values()), default=0)
    fig = go.Figure()
    fig.add_trace(_edge_trace(G, result, pos))
    fig.add_trace(_node_trace(G, result, nodes, pos, labels, hops))
    for d in range(hops + 1):
        fig.add_trace(_legend_entry(d))
    title = f"Impact of {', '.join(result.changes['change'])}: {total} service{'s' if total != 1 else ''} impacted"
    if total > max_nodes:
        title += f" (showing the nearest {max_nodes})"
    by_layer = {v: k for k, v in sorted(layers.items(), key=lambda kv: (kv[1], kv[0]))}
    fig.update_layout(
        title={"text": title},
        showlegend=True,
        legend={"title": {"text": "distance"}, "itemclick": False, "itemdoubleclick": False},
        xaxis={"title": {"text": "distance from the change"}, "dtick": 1, "zeroline": False, "range": frame.x},
        yaxis={
            "title": {"text": "layer"},
            "range": frame.y,
            "tickvals": ticks,
            "ticktext": [
                "change" if y == 0 else by_layer.get(int(y), "no layer") if y != unknown_row else "no layer"
                for y in ticks
            ],
        },
        height=height,
        margin={"l": 120, "r": 20, "t": _Frame.TOP, "b": _Frame.BOTTOM},
    )
    return fig


#: One colour per whole hop (0 = the change), nearest darkest; hops beyond the list take the last.
HOP_COLORS: tuple[str, ...] = ("#24292f", "#08306b", "#2171b5", "#41b6c4", "#7fcdbb", "#c7e9b4", "#edf8b1")


def _hop_color(d: int) -> str:
    return HOP_COLORS[min(d, len(HOP_COLORS) - 1)]


def _hop_name(d: int) -> str:
    return "change" if d == 0 else f"{d} hop{'s' if d != 1 else ''}"


def _legend_entry(d: int) -> Any:
    """A legend-only trace naming hop ``d`` and its colour."""
    import plotly.graph_objects as go

    return go.Scatter(
        x=[None],
        y=[None],
        mode="markers",
        name=_hop_name(d),
        marker={"size": 12, "color": _hop_color(d), "symbol": "diamond" if d == 0 else "circle"},
        hoverinfo="skip",
    )


class _Frame:
    """The plot area in data units and its estimated size in pixels, for placing labels.

    The width is a narrow page's (labels then measure wider than they will be, never narrower).
    """

    WIDTH = 900.0  # px of plot area on a narrow page
    TOP, BOTTOM = 70, 60
    CHAR, LINE, RADIUS = 6.6, 14.0, 9.0  # px: an 11 px label's character width and line height; marker radius

    def __init__(self, x: list[float], y: list[float], height: float) -> None:
        self.x, self.y = x, y
        self.px = self.WIDTH / (x[1] - x[0])
        self.py = (height - self.TOP - self.BOTTOM) / (y[1] - y[0])

    @classmethod
    def of(cls, pos: Mapping[Any, tuple[float, float]], height: float) -> _Frame:
        xs = [p[0] for p in pos.values()] or [0.0]
        ys = [p[1] for p in pos.values()] or [0.0]
        return cls([min(xs) - 0.5, max(xs) + 0.5], [min(ys) - 0.6, max(ys) + 0.6], height)

    def box(self, x: float, y: float, text: str, where: str) -> tuple[float, float, float, float]:
        """``(left, bottom, right, top)`` in pixels of ``text`` placed ``where`` (top/bottom) of a node."""
        cx, cy = x * self.px, y * self.py
        half = (len(text) * self.CHAR + 4) / 2
        if where == "top center":
            return cx - half, cy + self.RADIUS, cx + half, cy + self.RADIUS + self.LINE
        return cx - half, cy - self.RADIUS - self.LINE, cx + half, cy - self.RADIUS

    def marker(self, x: float, y: float) -> tuple[float, float, float, float]:
        cx, cy = x * self.px, y * self.py
        return cx - self.RADIUS, cy - self.RADIUS, cx + self.RADIUS, cy + self.RADIUS


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _labels(order: list[Any], pos: Mapping[Any, tuple[float, float]], frame: _Frame, limit: int) -> dict[Any, str]:
    """node → label position (``top center`` or ``bottom center``) for the nodes that get a label.

    ``order`` is the drawing order (changes, then nearest and heaviest first); a node is labelled above
    or else below itself when that label overlaps no label already placed and no other node.
    """
    markers = {n: frame.marker(*pos[n]) for n in order}
    placed: list[tuple[float, float, float, float]] = []
    out: dict[Any, str] = {}
    for n in order:
        if len(out) >= limit:
            break
        for where in ("top center", "bottom center"):
            box = frame.box(*pos[n], str(n), where)
            if any(_overlaps(box, b) for b in placed):
                continue
            if any(_overlaps(box, mk) for m, mk in markers.items() if m != n):
                continue
            placed.append(box)
            out[n] = where
            break
    return out


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
        q = fmt_score(r.quality_score)
        nodes[r.service] = {
            "distance": int(r.distance),
            "domain": r.domain,
            "hover": (
                f"<b>{r.service}</b><br>distance {r.distance} · weight {fmt_score(r.weight)}<br>"
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


def _positions(cells: Mapping[tuple[int, float], list[Any]]) -> dict[Any, tuple[float, float]]:
    """Inside a (distance, layer) cell: spread along x, stagger over three heights."""
    pos: dict[Any, tuple[float, float]] = {}
    for (x, y), members in cells.items():
        k = len(members)
        for j, n in enumerate(members):
            dy = ((j % 3) - 1) * 0.3 if k > 1 else 0.0
            pos[n] = (x + (j - (k - 1) / 2) * 0.8 / max(k, 1), y + dy)
    return pos


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
    return go.Scatter(x=ex, y=ey, mode="lines", line={"width": 1, "color": "#bbb"}, hoverinfo="skip", showlegend=False)


def _node_trace(
    G: nx.DiGraph,
    result: ImpactResult,
    nodes: Mapping[Any, dict[str, Any]],
    pos: Mapping[Any, tuple[float, float]],
    labels: Mapping[Any, str],
    hops: int,
) -> Any:
    """The nodes, one colour per whole hop (a stepped colour scale over the distance); changes are diamonds."""
    import plotly.graph_objects as go

    names = list(nodes)
    steps = []
    for d in range(hops + 1):
        steps += [[d / (hops + 1), _hop_color(d)], [(d + 1) / (hops + 1), _hop_color(d)]]
    return go.Scatter(
        x=[pos[n][0] for n in names],
        y=[pos[n][1] for n in names],
        mode="markers+text",
        text=[str(n) if n in labels else "" for n in names],
        textposition=[labels.get(n, "top center") for n in names],
        textfont={"size": 11},
        hovertext=[nodes[n]["hover"] for n in names],
        hoverinfo="text",
        showlegend=False,
        marker={
            "size": 16,
            "color": [nodes[n]["distance"] for n in names],
            "colorscale": steps,
            "cmin": -0.5,
            "cmax": hops + 0.5,
            "showscale": False,
            "symbol": ["diamond" if n not in G or n in result.summary["changed_services"] else "circle" for n in names],
            "line": {"width": 1, "color": "#333"},
        },
    )

"""Figures of the scoring models: implemented vs documented score per service, and the what-if of the
documented model (``notebooks/quality_trends.ipynb``).

Service by service up to :data:`FIGURE_MAX_SERVICES` services; a fleet is drawn as aggregates (a percentile
band, a density) so the page stays small. plotly is imported inside the functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core.schema import GRADE, SCORE, SERVICE

__all__ = ["FIGURE_MAX_SERVICES", "model_comparison_figure", "what_if_figure", "what_if_summary"]

#: Figures that draw one mark per service draw at most this many services; a fleet's figures draw
#: aggregates instead (a percentile band, a density). The 60-service sample is drawn service by service.
FIGURE_MAX_SERVICES = 300


def model_comparison_figure(comparison: pd.DataFrame) -> Any:
    """Implemented vs documented score per service (dumbbell), from :func:`~.quality.scores.compare_models`.

    With more than :data:`FIGURE_MAX_SERVICES` services, the services ranked by implemented score are
    cut into 100 equal groups (percentiles) and each group draws its median implemented score, its
    median documented score and the 10th to 90th percentile band of the documented score.
    """
    import plotly.graph_objects as go

    c = comparison.sort_values(["implemented_score", SERVICE], ascending=[True, True])
    if len(c) > FIGURE_MAX_SERVICES:
        return _model_comparison_band(c)
    y = list(c[SERVICE])
    fig = go.Figure()
    for imp, doc, s in zip(c["implemented_score"], c["documented_score"], y, strict=True):
        fig.add_trace(
            go.Scatter(
                x=[imp, doc], y=[s, s], mode="lines", line={"color": "#bbbbbb"}, showlegend=False, hoverinfo="skip"
            )
        )
    fig.add_trace(
        go.Scatter(x=c["implemented_score"], y=y, mode="markers", name="implemented", marker={"color": "#4575b4"})
    )
    fig.add_trace(
        go.Scatter(
            x=c["documented_score"],
            y=y,
            mode="markers",
            name="documented",
            marker={"color": "#fc8d59", "symbol": "diamond"},
        )
    )
    fig.update_layout(
        title="Implemented vs documented score per service (both models)",
        xaxis={"title": "score", "range": [0, 105]},
        height=max(300, 20 * len(c) + 140),
        margin={"t": 60, "l": 180, "r": 20},
    )
    return fig


def _model_comparison_band(c: pd.DataFrame) -> Any:
    """The fleet-size model comparison: per percentile of the implemented score, medians and a band."""
    import plotly.graph_objects as go

    n = len(c)
    group = (np.arange(n) * 100) // n  # c is sorted by implemented score: group k holds percentile k
    g = pd.DataFrame(
        {
            "group": group,
            "imp": c["implemented_score"].astype("float64").to_numpy(),
            "doc": c["documented_score"].astype("float64").to_numpy(),
        }
    ).groupby("group", sort=True)
    stats = pd.DataFrame(
        {
            "imp": g["imp"].median(),
            "doc": g["doc"].median(),
            "p10": g["doc"].quantile(0.1),
            "p90": g["doc"].quantile(0.9),
            "n": g.size(),
        }
    ).round(2)
    x = (stats.index.to_numpy() + 0.5).tolist()
    hover = [f"{k:g}: {int(v)} services" for k, v in zip(x, stats["n"], strict=True)]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=x, y=stats["p90"].tolist(), mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=stats["p10"].tolist(),
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(252,141,89,0.25)",
            name="documented, 10th–90th percentile",
            hoverinfo="skip",
        )
    )
    for col, name, colour in (("imp", "implemented", "#4575b4"), ("doc", "documented", "#fc8d59")):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=stats[col].tolist(),
                mode="lines",
                name=f"{name} (median)",
                line={"color": colour},
                text=hover,
                hovertemplate="percentile %{text}<br>median %{y}<extra>" + name + "</extra>",
            )
        )
    fig.update_layout(
        title=f"Implemented vs documented score of {n:,} services: medians per percentile<br>"
        "<sup>services ranked by implemented score; band: documented 10th–90th percentile</sup>",
        xaxis={"title": "services ranked by implemented score (percentile)", "range": [0, 100]},
        yaxis={"title": "score", "range": [0, 105]},
        height=480,
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def what_if_summary(whatif: pd.DataFrame) -> pd.DataFrame:
    """Per snapshot: services, grade changes, mean score change and rank moves of a what-if rescoring.

    Examples
    --------
    >>> from meta254lib.quality import ScoringParams, what_if
    >>> h = pd.DataFrame({"service": ["a", "b"], "maturity": "stable", "coverage": [0.9, 0.5],
    ...                   "snapshot_time": pd.Timestamp("2025-01-01", tz="UTC"), "critical_vulns": [1, 0]})
    >>> s = what_if_summary(what_if(h, ScoringParams().with_weights(coverage=0.5, security=0.1)))
    >>> s[["services", "grade_changes", "rank_changes"]].values.tolist()
    [[2, 2, 2]]
    """
    g = whatif.groupby("snapshot_time", sort=True)
    out = pd.DataFrame(
        {
            "services": g.size(),
            "grade_changes": g["grade_changed"].sum().astype("int64"),
            "rank_changes": g["rank_change"].apply(lambda s: int((s != 0).sum())),
            "mean_score_change": g["score_change"].mean().astype("float64"),
            "largest_rise": g["score_change"].max(),
            "largest_fall": g["score_change"].min(),
        }
    ).reset_index()
    out.insert(1, "model", whatif["model"].iloc[0] if len(whatif) else "")
    return out


def _density(part: pd.DataFrame, low: float) -> Any:
    """Services per 2-point cell of baseline vs alternative score, as a heat map (blank: none)."""
    import plotly.graph_objects as go

    edges = np.arange(np.floor(low / 2) * 2, 104, 2.0)
    counts, _, _ = np.histogram2d(
        part[SCORE].astype("float64").to_numpy(), part["base_score"].astype("float64").to_numpy(), bins=[edges, edges]
    )
    z = [[int(v) if v else None for v in row] for row in counts]
    centres = (edges[:-1] + 1).tolist()
    return go.Heatmap(
        z=z,
        x=centres,
        y=centres,
        colorscale="Blues",
        name="same grade (services per cell)",
        showscale=True,
        colorbar={"title": "services"},
        hovertemplate="baseline %{x}±1, alternative %{y}±1: %{z} services<extra>same grade</extra>",
    )


def what_if_figure(whatif: pd.DataFrame) -> Any:
    """Latest snapshot of a what-if: baseline vs alternative score per service; grade changes highlighted.

    With more than :data:`FIGURE_MAX_SERVICES` services, the services whose grade stays are drawn as a
    density (services per 2-point cell) and those whose grade changes as points without labels.
    """
    import plotly.graph_objects as go

    if len(whatif):
        last = whatif[whatif["snapshot_time"] == whatif["snapshot_time"].max()]
    else:
        last = whatif
    model = str(last["model"].iloc[0]) if len(last) else ""
    fleet = len(last) > FIGURE_MAX_SERVICES
    both = pd.concat([last["base_score"], last[SCORE]]).astype("float64")
    low = max(0.0, float(both.min()) - 5) if len(both) else 0.0
    fig = go.Figure()
    if fleet:
        fig.add_trace(_density(last[~last["grade_changed"].astype(bool)], low))
    fig.add_trace(
        go.Scatter(x=[0, 102], y=[0, 102], mode="lines", line={"color": "#bbbbbb", "dash": "dot"}, name="no change")
    )
    for changed, colour, name in ((False, "#4575b4", "same grade"), (True, "#d73027", "grade changed")):
        part = last[last["grade_changed"] == changed]
        if fleet and not changed:
            continue
        if fleet:
            fig.add_trace(
                go.Scatter(
                    x=part["base_score"].astype("float64").round(2).tolist(),
                    y=part[SCORE].astype("float64").round(2).tolist(),
                    mode="markers",
                    name=f"{name} ({len(part):,} services)",
                    marker={"color": colour, "size": 4},
                )
            )
            continue
        fig.add_trace(
            go.Scatter(
                x=part["base_score"].astype("float64"),
                y=part[SCORE].astype("float64"),
                mode="markers",
                name=name,
                marker={"color": colour},
                text=[
                    f"{s}: {bg}→{g}, rank {br}→{r}"
                    for s, bg, g, br, r in zip(
                        part[SERVICE], part["base_grade"], part[GRADE], part["base_rank"], part["rank"], strict=True
                    )
                ],
                hovertemplate="%{text}<extra></extra>",
            )
        )
    scope = f", {len(last):,} services" if fleet else ""
    fig.update_layout(
        title=f"What-if: score under the alternative weights vs the baseline ({model} model, latest snapshot{scope})",
        xaxis={"title": "baseline score", "range": [low, 102]},
        yaxis={"title": "alternative score", "range": [low, 102]},
        height=520 if fleet else 480,
        **({"legend": {"orientation": "h", "y": -0.18}} if fleet else {}),
    )
    return fig

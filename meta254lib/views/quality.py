"""Figures and report tables for the weekly quality-trend report (``notebooks/quality_trends.ipynb``).

Every figure names the scoring model in its title, is built from the tables of
:class:`~meta254lib.quality.trends.TrendReport` and the frames of :mod:`meta254lib.quality.scores` and
:mod:`meta254lib.quality.models`, and is deterministic (same inputs, same plotly JSON). plotly is imported
inside the functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core.schema import GRADE, SCORE, SERVICE, SEVERITY
from ..core.severity import SEVERITIES
from ..quality.models import model_formula
from ..quality.params import COMPONENTS, MODELS, ScoringParams
from ..quality.summary import summary_sentences
from ..quality.trends import TrendReport
from .escape import md_escape

__all__ = [
    "FIGURE_MAX_SERVICES",
    "attribution_figure",
    "correlation_markdown",
    "drift_quality_figure",
    "formulas_markdown",
    "heatmap_figure",
    "model_comparison_figure",
    "platform_figure",
    "sparklines_figure",
    "summary_markdown",
    "top_movers",
    "trends_headline",
    "what_if_figure",
    "what_if_summary",
]

_GRADE_COLOURS = {"A": "#1a9850", "B": "#91cf60", "C": "#fee08b", "D": "#fc8d59", "F": "#d73027"}
_PART_COLOURS = {
    "coverage": "#4575b4",
    "security": "#d73027",
    "policy": "#984ea3",
    "stability": "#ff7f00",
    "drift": "#a65628",
    "maturity": "#999999",
    "rounding": "#cccccc",
    "clamping": "#666666",
}
_SEVERITY_COLOURS = dict(zip(SEVERITIES, ("#d73027", "#fc8d59", "#fee08b"), strict=True))

#: Figures that draw one mark per service draw at most this many services; a fleet's figures draw
#: aggregates instead (a percentile band, a density). The 60-service sample is drawn service by service.
FIGURE_MAX_SERVICES = 300


def _dates(index: Any) -> list[str]:
    return [pd.Timestamp(t).strftime("%Y-%m-%d") for t in index]


def trends_headline(report: TrendReport) -> str:
    """One line for the report index: platform mean, its change, regressions, declining services.

    The change is stated between the first and the last week with a snapshot, over the weeks between
    them; with a single such week there is no trend yet, and the line says so.

    Examples
    --------
    >>> from meta254lib.quality.trends import quality_trends
    >>> t = pd.date_range("2025-01-05", periods=2, freq="7D", tz="UTC")
    >>> h = pd.DataFrame({"snapshot_time": t, "service": "a", "maturity": "stable", "coverage": [0.75, 0.45],
    ...                   "deployment_freshness_days": 1.0})
    >>> trends_headline(quality_trends(h, as_of=t[-1], weeks=2))
    'Quality (implemented model): platform mean 90.0 (-10.0 over 1 week); 1 regression(s); 0 declining service(s)'
    >>> trends_headline(quality_trends(h.iloc[1:], as_of=t[-1], weeks=12))
    'Quality (implemented model): platform mean 90.0 (one snapshot: no trend yet); 0 regression(s); 0 declining service(s)'
    """  # noqa: E501
    plat = report.platform[report.platform["services"] > 0]
    if not len(plat):
        return f"Quality ({report.model} model): no snapshot in the {report.weeks} weeks to {report.as_of.date()}"
    last, first = plat.iloc[-1], plat.iloc[0]
    declining = int((report.services["direction"] == "declining").sum())
    if len(plat) < 2:
        change = "one snapshot: no trend yet"
    else:
        span = round((last["week_end"] - first["week_end"]) / pd.Timedelta(weeks=1))
        change = f"{last['mean'] - first['mean']:+.1f} over {span} week{'' if span == 1 else 's'}"
    return (
        f"Quality ({report.model} model): platform mean {last['mean']:.1f} ({change}); "
        f"{len(report.regressions)} regression(s); {declining} declining service(s)"
    )


def top_movers(report: TrendReport, n: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``n`` most improving and ``n`` most declining services (by slope; direction must agree).

    Returns
    -------
    (improving, declining) : tuple of DataFrame
        Rows of ``report.services``; improving by slope descending, declining by slope ascending,
        ties by service.
    """
    sv = report.services
    imp = sv[sv["direction"] == "improving"].sort_values(["slope_per_week", SERVICE], ascending=[False, True])
    dec = sv[sv["direction"] == "declining"].sort_values(["slope_per_week", SERVICE], ascending=[True, True])
    return imp.head(n).reset_index(drop=True), dec.head(n).reset_index(drop=True)


def platform_figure(report: TrendReport) -> Any:
    """Platform mean and median score (min-max band) over the weeks, with the grade distribution below.

    Examples
    --------
    >>> from meta254lib.quality.trends import quality_trends
    >>> t = pd.date_range("2025-01-05", periods=2, freq="7D", tz="UTC")
    >>> h = pd.DataFrame({"snapshot_time": t, "service": "a", "maturity": "stable", "coverage": 0.75,
    ...                   "deployment_freshness_days": 1.0})
    >>> platform_figure(quality_trends(h, as_of=t[-1], weeks=2)).layout.title.text
    'Platform quality score by week (implemented model)'
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    p = report.platform
    x = _dates(p["week_end"])
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.6, 0.4],
        vertical_spacing=0.08,
        subplot_titles=("Score", "Services by grade"),
    )
    fig.add_trace(
        go.Scatter(x=x, y=p["max"], mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"), 1, 1
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=p["min"],
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(69,117,180,0.15)",
            name="min-max",
        ),
        1,
        1,
    )
    fig.add_trace(go.Scatter(x=x, y=p["mean"], mode="lines+markers", name="mean", line={"color": "#4575b4"}), 1, 1)
    fig.add_trace(
        go.Scatter(x=x, y=p["median"], mode="lines", name="median", line={"color": "#4575b4", "dash": "dot"}), 1, 1
    )
    fig.add_hline(
        y=report.scoring.min_score,
        line={"color": "#d73027", "dash": "dash", "width": 1},
        annotation_text=f"min_score {report.scoring.min_score:g}",
        row=1,
        col=1,
    )
    for g, colour in _GRADE_COLOURS.items():
        fig.add_trace(go.Bar(x=x, y=p[g], name=f"grade {g}", marker_color=colour), 2, 1)
    fig.update_layout(
        barmode="stack",
        title=f"Platform quality score by week ({report.model} model)",
        height=560,
        legend={"orientation": "h", "y": -0.12},
        margin={"t": 70, "l": 50, "r": 20},
    )
    fig.update_yaxes(title_text="score", row=1, col=1)
    fig.update_yaxes(title_text="services", row=2, col=1)
    return fig


def heatmap_figure(report: TrendReport, max_services: int = 60) -> Any:
    """Services x weeks heat map of the scores (blank = no score that week: never zero-filled).

    Rows are the services in ``report.services`` order (most declining first); with more than
    ``max_services`` the first ``max_services`` are drawn and the title says so.
    """
    import plotly.graph_objects as go

    m = report.matrix()
    total = len(m)
    m = m.head(max_services)
    title = f"Score by service and week ({report.model} model)"
    if total > max_services:
        title += f": the {max_services} most declining of {total} services"
    z = m.to_numpy(dtype="float64")
    low = float(np.nanmin(z)) if np.isfinite(z).any() else 0.0
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=_dates(m.columns),
            y=list(m.index),
            zmin=max(0.0, min(50.0, np.floor(low / 10) * 10)),
            zmax=100,
            colorscale="RdYlGn",
            colorbar={"title": "score"},
            hovertemplate="%{y}<br>week ending %{x}<br>score %{z}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        height=max(300, 18 * len(m) + 140),
        yaxis={"autorange": "reversed"},
        margin={"t": 60, "l": 160, "r": 20},
    )
    return fig


def sparklines_figure(report: TrendReport, services: list[str], title: str) -> Any:
    """Small multiples: one sparkline of weekly scores per service, all on the same y range.

    With no service to show, the figure says so instead of drawing empty axes.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    m = report.matrix()
    services = [s for s in services if s in m.index]
    if not services:
        fig = go.Figure()
        fig.add_annotation(text="no service qualifies", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        fig.update_layout(title=f"{title}: none ({report.model} model)", height=160)
        return fig
    n = len(services)
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    info = report.services.set_index(SERVICE)
    titles = [f"{s} ({info.loc[s, 'slope_per_week']:+.1f}/wk)" for s in services]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, shared_yaxes=True, vertical_spacing=0.15)
    x = _dates(m.columns)
    for i, s in enumerate(services):
        r, c = i // cols + 1, i % cols + 1
        fig.add_trace(
            go.Scatter(x=x, y=m.loc[s].to_numpy(), mode="lines+markers", showlegend=False, line={"color": "#4575b4"}),
            r,
            c,
        )
    values = m.loc[services].to_numpy(dtype="float64")
    fig.update_yaxes(range=[max(0.0, float(np.nanmin(values)) - 5), min(105.0, float(np.nanmax(values)) + 5)])
    fig.update_xaxes(showticklabels=False)
    fig.update_layout(title=f"{title} ({report.model} model)", height=170 * rows + 90, margin={"t": 80})
    return fig


def attribution_figure(frame: pd.DataFrame, title: str, max_rows: int = 30) -> Any:
    """Stacked horizontal bars: each score change split into its parts (coverage ... clamping).

    ``frame`` is a regressions or attribution table (with ``service``, ``model`` and the part columns);
    each bar is labelled ``service (week ending)`` and the parts add up to the change.
    """
    import plotly.graph_objects as go

    f = frame.head(max_rows)
    model = str(f["model"].iloc[0]) if len(f) else ""
    when = f["week_end"] if "week_end" in f.columns else f.get("time")
    labels = [f"{s} ({d})" for s, d in zip(f[SERVICE], _dates(when), strict=True)] if len(f) else []
    fig = go.Figure()
    for part in (*COMPONENTS, "maturity", "rounding", "clamping"):
        fig.add_trace(
            go.Bar(y=labels, x=f[part].astype("float64"), name=part, orientation="h", marker_color=_PART_COLOURS[part])
        )
    fig.update_layout(
        barmode="relative",
        title=f"{title} ({model} model)" if model else title,
        xaxis_title="points",
        height=max(260, 26 * len(f) + 150),
        yaxis={"autorange": "reversed"},
        margin={"t": 100, "l": 220, "r": 20},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
    )
    return fig


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


def drift_quality_figure(report: TrendReport) -> Any:
    """Drift flow beside quality on the same weeks: platform mean score on top; drift backlog by
    severity (bars) with new and resolved issues (lines) below."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    x = _dates(report.week_ends)
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.1,
        subplot_titles=(f"Platform mean score ({report.model} model)", "Drift backlog at week end, new and resolved"),
    )
    fig.add_trace(
        go.Scatter(x=x, y=report.platform["mean"], mode="lines+markers", name="mean score", line={"color": "#4575b4"}),
        1,
        1,
    )
    dw = report.drift_weekly
    if dw is not None and len(dw):
        for sev, colour in _SEVERITY_COLOURS.items():
            part = dw[dw[SEVERITY] == sev]
            fig.add_trace(
                go.Bar(x=x, y=part["backlog"].astype("float64"), name=f"backlog {sev}", marker_color=colour), 2, 1
            )
        a = dw[dw[SEVERITY] == "all"]
        fig.add_trace(go.Scatter(x=x, y=a["new"], mode="lines+markers", name="new", line={"color": "#000000"}), 2, 1)
        fig.add_trace(
            go.Scatter(x=x, y=a["resolved"], mode="lines+markers", name="resolved", line={"color": "#1a9850"}), 2, 1
        )
    fig.update_layout(
        barmode="stack",
        title="Quality and drift, week by week",
        height=600,
        legend={"orientation": "h", "y": -0.12},
    )
    return fig


def summary_markdown(report: TrendReport) -> str:
    """The executive summary (:func:`~meta254lib.quality.summary.summary_sentences`) as Markdown bullets."""
    from .weekly import no_negative_zero, to_minute

    return "\n".join("- " + md_escape(no_negative_zero(to_minute(s))) for s in summary_sentences(report))


def formulas_markdown(params: ScoringParams | None) -> str:
    """Both scoring formulas, with the given :class:`~meta254lib.quality.params.ScoringParams`, as Markdown."""
    return "\n\n".join("`" + line + "`" for model in MODELS for line in model_formula(model, params).splitlines())


def correlation_markdown(report: TrendReport) -> str:
    """The platform-level drift/score correlation statements, one bullet per lag."""
    c = report.correlation
    if c is None or not len(c):
        return "No drift history: no correlation computed."
    from .weekly import no_negative_zero

    return "\n".join("- " + md_escape(no_negative_zero(s)) for s in c.loc[c["scope"] == "platform", "statement"])

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

from ..core.schema import SERVICE, SEVERITY
from ..core.severity import SEVERITIES
from ..quality.models import model_formula
from ..quality.params import COMPONENTS, MODELS, ScoringParams
from ..quality.summary import summary_sentences
from ..quality.trends import TrendReport
from .escape import md_escape
from .quality_models import FIGURE_MAX_SERVICES, model_comparison_figure, what_if_figure, what_if_summary

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

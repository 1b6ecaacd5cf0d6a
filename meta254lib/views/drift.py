"""Figures and one-line summaries of drift, for the drift overview notebook and the weekly report.

Every function takes the frames of :mod:`meta254lib.drift.engine` / :mod:`meta254lib.drift.history` and
returns a plotly figure (or text); nothing is computed here that the analysis modules do not expose.
plotly is imported by the functions that draw.

Examples
--------
>>> import pandas as pd
>>> k = pd.DataFrame({"kpi": ["drift_detection_rate"], "label": ["Drift detection rate"], "value": [0.25],
...     "unit": ["share"], "target": [0.1], "met": pd.array([False], dtype="boolean"), "note": [""]})
>>> drift_kpi_table(k)[["KPI", "value", "target", "status"]].values.tolist()
[['Drift detection rate', '25.0%', '< 10.0%', 'missed']]
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ..core.columns import SERVICE, SEVERITY
from ..core.severity import SEVERITIES
from ..drift.engine import DriftResult
from ..drift.select import severity_type_matrix, top_issues

__all__ = [
    "SEVERITY_COLORS",
    "TOP_ISSUE_COLUMNS",
    "drift_age_figure",
    "drift_backlog_figure",
    "drift_flow_figure",
    "drift_headline",
    "drift_kpi_table",
    "drift_top_table",
    "lag_matrix_figure",
    "remediation_survival_figure",
    "report_labels",
    "severity_type_heatmap",
]

#: One colour per severity, used by every drift figure.
SEVERITY_COLORS = {"high": "#c0392b", "medium": "#e67e22", "low": "#2e86c1", "all": "#555555"}

#: KPIs where lower is better and how the target reads.
_KPI_TARGET_TEXT = {
    "drift_detection_rate": "< {}",
    "mttr_high_days": "< {} d",
    "net_change_per_month": "<= {}",
    "resolution_rate": ">= {} /week (accumulation)",
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _go() -> Any:
    import plotly.graph_objects as go

    return go


def drift_headline(result: DriftResult, issues: pd.DataFrame | None = None, team: str | None = None) -> str:
    """One line: counted issues by severity, services with drift, exempt and expired exemptions.

    Parameters
    ----------
    result : DriftResult
    issues : DataFrame, optional
        The issues shown (e.g. filtered by team / severity); default all of the result's.
    team : str, optional
        Named in the headline when given.

    Examples
    --------
    >>> from meta254lib.drift import DriftInputs, detect_drift
    >>> from meta254lib.core.schema import SERVICES, frame_from_records as rec
    >>> r = detect_drift(DriftInputs(rec(SERVICES, [{"service": "a", "last_update": "2025-01-01"},
    ...                                             {"service": "b"}])), as_of="2025-10-10")
    >>> drift_headline(r)
    'Drift as of 2025-10-10: 1 issue (1 high, 0 medium, 0 low) in 1 of 2 services'
    """
    shown = result.issues if issues is None else issues
    counted = shown[~shown["exempt"].astype(bool)]
    sev = {s: int((counted["severity"] == s).sum()) for s in SEVERITIES}
    n, k = len(counted), int(counted["service"].nunique())
    where = f"in {_plural(k, 'service')}" if team else f"in {k} of {_plural(result.services, 'service')}"
    text = (
        f"Drift as of {result.as_of:%Y-%m-%d}{f' for team {team}' if team else ''}: "
        f"{n} issue{'s' if n != 1 else ''} ({sev['high']} high, {sev['medium']} medium, {sev['low']} low) {where}"
    )
    exempt = int(shown["exempt"].astype(bool).sum())
    if exempt:
        text += f"; {exempt} exempt"
    expired = int(shown["exemption_expired"].astype(bool).sum()) if "exemption_expired" in shown else 0
    if expired:
        text += f"; {expired} whose exemption expired"
    return text


def severity_type_heatmap(issues: pd.DataFrame) -> Any:
    """Heat map of counted issues: severity (rows) × drift type (columns), counts in the cells."""
    go = _go()
    m = severity_type_matrix(issues)
    fig = go.Figure(
        go.Heatmap(
            z=m.to_numpy(),
            x=list(m.columns),
            y=list(m.index),
            text=m.to_numpy(),
            texttemplate="%{text}",
            colorscale="OrRd",
            hovertemplate="%{y} · %{x}: %{z} issue(s)<extra></extra>",
            colorbar={"title": "issues"},
        )
    )
    fig.update_layout(
        title="Counted drift issues by severity and type",
        xaxis={"title": "drift type", "tickangle": -30},
        yaxis={"title": "severity", "autorange": "reversed"},
        height=320,
        margin={"l": 80, "r": 20, "t": 50, "b": 110},
    )
    return fig


_LAG_CODE = {"current": 0, "ahead": 0, "behind_patch": 1, "behind_minor": 2, "behind_major": 3}


def lag_matrix_figure(lag: pd.DataFrame, max_services: int = 60) -> Any:
    """Services × specs: colour = how far behind (current, patch, minor, major); hover = pins and libyear.

    Services are ordered by their worst lag, then name; beyond ``max_services`` the rest are left out
    and the title says so.
    """
    go = _go()
    df = lag.copy()
    kind = pd.Series("", index=df.index, dtype="str")
    behind = df["status"] == "behind"
    kind[behind] = "behind_" + df.loc[behind, "distance"].str.split(" ").str[-1].replace({"pre-release": "patch"})
    kind[~behind] = df.loc[~behind, "status"]
    df["code"] = kind.map(_LAG_CODE)
    libyear = df["libyear"].map(lambda v: "" if pd.isna(v) else f"<br>libyear {v:.2f}")
    df["hover"] = (
        df["service"]
        + " · "
        + df["spec"]
        + "<br>pinned "
        + df["pinned"].astype("str")
        + ", latest "
        + df["latest"].where(df["latest"] != "", "unknown")
        + "<br>"
        + df["status"]
        + df["distance"].map(lambda d: f" ({d})" if d and d != "0" else "")
        + libyear
    )
    worst = df.groupby("service")["code"].max().fillna(-1)
    order = sorted(worst.index, key=lambda s: (-worst[s], s))
    total = len(order)
    order = order[:max_services]
    df = df[df["service"].isin(order)]
    z = df.pivot(index="service", columns="spec", values="code").reindex(index=order)
    hover = df.pivot(index="service", columns="spec", values="hover").reindex(index=order, columns=z.columns)
    text = df.assign(t=df["distance"].where(df["status"] == "behind", "")).pivot(
        index="service", columns="spec", values="t"
    )
    text = text.reindex(index=order, columns=z.columns).fillna("")
    scale = [[0, "#d5f5e3"], [0.33, "#f9e79f"], [0.66, "#f0b27a"], [1, "#c0392b"]]
    fig = go.Figure(
        go.Heatmap(
            z=z.to_numpy(dtype=float),
            x=list(z.columns),
            y=list(z.index),
            text=text.to_numpy(),
            texttemplate="%{text}",
            customdata=hover.fillna("").to_numpy(),
            hovertemplate="%{customdata}<extra></extra>",
            zmin=0,
            zmax=3,
            colorscale=scale,
            colorbar={"tickvals": [0, 1, 2, 3], "ticktext": ["current", "patch", "minor", "major"], "title": "behind"},
            xgap=1,
            ygap=1,
        )
    )
    shown = f" (the {len(order)} most behind of {total} services)" if total > len(order) else ""
    fig.update_layout(
        title=f"Pinned vs latest spec versions{shown}; blank: not pinned, or not in the spec registry",
        xaxis={"title": "spec", "tickangle": -30},
        yaxis={"title": "service", "autorange": "reversed"},
        height=max(320, 22 * len(order) + 140),
        margin={"l": 160, "r": 20, "t": 60, "b": 110},
    )
    return fig


def _severity_stack(x: Any, counts: pd.DataFrame, title: str, xaxis_title: str, height: int) -> Any:
    """Bars of open issues per ``x``, stacked by severity (the most severe on top)."""
    go = _go()
    fig = go.Figure()
    for sev in reversed(SEVERITIES):
        fig.add_bar(x=x, y=counts[sev], name=sev, marker_color=SEVERITY_COLORS[sev])
    fig.update_layout(
        barmode="stack",
        title=title,
        xaxis_title=xaxis_title,
        yaxis_title="open issues",
        height=height,
        legend={"traceorder": "reversed"},
    )
    return fig


def report_labels(times: Any) -> list[str]:
    """Category labels for report times: the ISO week (``2025-W41``), with the UTC time when a week has two.

    Examples
    --------
    >>> report_labels(pd.to_datetime(["2025-09-29T05:19:20Z", "2025-10-06T05:21:06Z", "2025-10-06T06:00:00Z"]))
    ['2025-W40', '2025-W41 05:21', '2025-W41 06:00']
    """
    ts = pd.to_datetime(pd.Series(list(times)), utc=True)
    weeks = [f"{t.isocalendar()[0]}-W{t.isocalendar()[1]:02d}" for t in ts]
    counts = pd.Series(weeks).value_counts()
    labels = [w if counts[w] == 1 else f"{w} {t.strftime('%H:%M')}" for w, t in zip(weeks, ts, strict=True)]
    return [lab if labels.count(lab) == 1 else f"{lab} #{i}" for i, lab in enumerate(labels, 1)]


def drift_backlog_figure(backlog: pd.DataFrame) -> Any:
    """Open issues per report (one bar per report, labelled by ISO week), stacked by severity."""
    title = "Open drift backlog per report, by severity (exempt issues excluded)"
    labels = report_labels(backlog["report_time"])
    fig = _severity_stack(labels, backlog, title, "report (ISO week)", 360)
    when = [pd.Timestamp(t).strftime("%Y-%m-%d %H:%M UTC") for t in backlog["report_time"]]
    fig.update_traces(customdata=when, hovertemplate="%{x} (%{customdata})<br>%{y} open<extra>%{fullData.name}</extra>")
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=labels)
    return fig


def drift_age_figure(age: pd.DataFrame) -> Any:
    """Open issues at as-of by age bucket, stacked by severity."""
    return _severity_stack(age["age"], age, "Open issues by age (days since first detected)", "age", 320)


def drift_flow_figure(flow: pd.DataFrame) -> Any:
    """Open backlog per week (top) and new vs resolved issues per week (bottom, resolved downwards).

    Issues carried in from the first report are not drawn as new; a note gives their number.
    """
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.45, 0.55])
    fig.add_scatter(
        x=flow["week"],
        y=flow["open"],
        name="open at week end",
        mode="lines+markers",
        line={"color": "#555"},
        row=1,
        col=1,
    )
    fig.add_bar(x=flow["week"], y=flow["new"], name="new", marker_color="#c0392b", row=2, col=1)
    fig.add_bar(x=flow["week"], y=-flow["resolved"], name="resolved", marker_color="#27ae60", row=2, col=1)
    carried = int(flow["carried_in"].sum()) if len(flow) else 0
    fig.update_layout(
        barmode="relative",
        title="Drift flow per week: open backlog, new and resolved issues"
        + (f" ({carried} issues carried in from the first report)" if carried else ""),
        height=440,
        legend={"orientation": "h", "y": -0.15},
    )
    fig.update_yaxes(title_text="open", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="new (+) / resolved (−)", row=2, col=1)
    fig.update_xaxes(title_text="week (starting Monday)", row=2, col=1)
    return fig


def remediation_survival_figure(curves: pd.DataFrame) -> Any:
    """Kaplan–Meier curves: share of issues still open against days since detection."""
    go = _go()
    fig = go.Figure()
    for group, part in curves.groupby("group", sort=False):
        if part.empty:
            continue
        fig.add_scatter(
            x=part["time"],
            y=part["survival"],
            mode="lines",
            line={"shape": "hv", "color": SEVERITY_COLORS.get(str(group))},
            name=str(group),
        )
    fig.add_hline(y=0.5, line_dash="dot", line_color="#999", annotation_text="median")
    fig.update_layout(
        title="Time to remediation (Kaplan–Meier; open issues censored)",
        xaxis_title="days since detection",
        yaxis={"title": "share still open", "range": [0, 1.02]},
        height=360,
    )
    return fig


def _fmt(value: Any, unit: str) -> str:
    """A KPI value as text: ``n/a`` when missing, shares in percent, days and rates to one decimal."""
    if value is None or pd.isna(value):
        return "n/a"
    if unit == "share":
        return f"{value * 100:.1f}%"
    if unit == "days":
        return f"{value:.1f} d"
    if unit == "issues/week":
        return f"{value:.1f} /week"
    return f"{value:.2f}"


def _mixed(r: Any) -> bool:
    """Whether a KPI row's window mixes reports of two detectors (``mixed_sources``; absent: no)."""
    v = getattr(r, "mixed_sources", False)
    return False if v is None or pd.isna(v) else bool(v)


def drift_kpi_table(kpis: pd.DataFrame) -> pd.DataFrame:
    """The KPI frame of :func:`meta254lib.drift.kpis.kpis` as readable text: met, missed or mixed sources.

    A KPI whose window mixes reports of two detectors is not judged: its status reads ``mixed sources``.

    Examples
    --------
    >>> k = pd.DataFrame({"kpi": ["resolution_rate"], "label": ["Resolution rate"], "value": [8.5],
    ...     "unit": ["issues/week"], "target": [1.75], "met": [pd.NA], "mixed_sources": [True], "note": ["-"]})
    >>> drift_kpi_table(k)["status"].tolist()
    ['mixed sources']
    """
    rows = []
    for r in kpis.itertuples(index=False):
        target = r.target
        tmpl = _KPI_TARGET_TEXT.get(r.kpi)
        if tmpl and target is not None and not (isinstance(target, float) and math.isnan(target)):
            shown = _fmt(target, "share") if r.unit == "share" else f"{target:g}"
            target_text = tmpl.format(shown)
        else:
            target_text = ""
        status = "mixed sources" if _mixed(r) else ("" if pd.isna(r.met) else ("met" if bool(r.met) else "missed"))
        rows.append(
            {"KPI": r.label, "value": _fmt(r.value, r.unit), "target": target_text, "status": status, "note": r.note}
        )
    return pd.DataFrame(rows, columns=["KPI", "value", "target", "status", "note"])


#: Columns of the most-urgent-issues table, in order.
TOP_ISSUE_COLUMNS = [SEVERITY, "category", SERVICE, "subject", "current", "expected", "reason", "detected_at", "id"]


def drift_top_table(issues: pd.DataFrame, n: int = 20) -> pd.DataFrame:
    """The ``n`` most urgent counted issues (see :func:`~meta254lib.drift.select.top_issues`), for display.

    Parameters
    ----------
    issues : pandas.DataFrame
        Drift issues (schema ``DRIFT_ISSUES``).
    n : int
        How many.

    Returns
    -------
    pandas.DataFrame
        Severity, category, service, subject, current and expected value, reason, detection time and id.
    """
    return top_issues(issues, n)[TOP_ISSUE_COLUMNS]

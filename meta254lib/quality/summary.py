"""The executive summary of a quality-trend report: plain sentences computed from its tables."""

from __future__ import annotations

import pandas as pd

from ..core.schema import SERVICE, SEVERITY
from .trends import TrendReport

__all__ = ["summary_sentences"]


def summary_sentences(report: TrendReport, limit: int = 3) -> list[str]:
    """The executive summary of a trend report, as sentences computed from its tables.

    Examples
    --------
    >>> from meta254lib.quality.trends import quality_trends
    >>> t = pd.date_range("2025-01-05", periods=4, freq="7D", tz="UTC")
    >>> h = pd.DataFrame({"snapshot_time": t, "service": "a", "maturity": "stable",
    ...                   "coverage": [0.75, 0.75, 0.45, 0.45], "deployment_freshness_days": 1.0})
    >>> print(summary_sentences(quality_trends(h, as_of=t[-1], weeks=4))[0])
    Platform mean score (implemented model) went from 100.0 in the week ending 2025-01-05 to 90.0 in the week ending 2025-01-26 (-10.0 points) over 1 service(s).
    """  # noqa: E501
    plat = report.platform[report.platform["services"] > 0]
    if not len(plat):
        return [f"No quality snapshot falls in the {report.weeks} weeks ending {report.as_of.date()}."]
    return [
        _platform_sentence(plat, report.model),
        *_direction_sentences(report, limit),
        _regression_sentence(report, limit),
        *_watch_sentence(report),
        *_drift_sentence(report),
        *_correlation_sentence(report),
    ]


def _platform_sentence(plat: pd.DataFrame, model: str) -> str:
    """How the platform mean moved between the first and last week with a snapshot."""
    f, lst = plat.iloc[0], plat.iloc[-1]
    if len(plat) == 1:
        return (
            f"Platform mean score ({model} model) was {lst['mean']:.1f} over {int(lst['services'])} service(s) in "
            f"the week ending {lst['week_end'].date()}, the only week of the window with a snapshot: no trend yet."
        )
    return (
        f"Platform mean score ({model} model) went from {f['mean']:.1f} in the week ending {f['week_end'].date()} "
        f"to {lst['mean']:.1f} in the week ending {lst['week_end'].date()} ({lst['mean'] - f['mean']:+.1f} points) "
        f"over {int(lst['services'])} service(s)."
    )


def _direction_sentences(report: TrendReport, limit: int) -> list[str]:
    """Counts by direction, then the most improved and most declined services."""
    sv = report.services
    counts = sv["direction"].value_counts()
    out = [
        f"{int(counts.get('improving', 0))} service(s) improved, {int(counts.get('declining', 0))} declined, "
        f"{int(counts.get('stable', 0))} stayed stable and {int(counts.get('insufficient data', 0))} had too few "
        f"weeks ({report.params.direction_rule})."
    ]
    imp = sv[sv["direction"] == "improving"].sort_values(["slope_per_week", SERVICE], ascending=[False, True])
    dec = sv[sv["direction"] == "declining"].sort_values(["slope_per_week", SERVICE], ascending=[True, True])
    for label, frame in (("Most improved", imp), ("Most declined", dec)):
        if len(frame):
            names = ", ".join(f"{r.service} ({r.slope_per_week:+.1f}/week)" for r in frame.head(limit).itertuples())
            out.append(f"{label}: {names}.")
    return out


def _regression_sentence(report: TrendReport, limit: int) -> str:
    """The number of regressions and the worst ones, or that there was none."""
    rg = report.regressions
    threshold, window = report.params.drop_threshold, report.params.drop_window_days
    if not len(rg):
        return f"No regression of {threshold:g}+ points within {window:g} days."
    worst = rg.sort_values(["drop", "time"], ascending=[False, False]).head(limit)
    items = ", ".join(
        f"{r.service} {int(r.from_score)}→{int(r.to_score)} on {r.time.date()} (mainly {r.driver})"
        for r in worst.itertuples()
    )
    return f"{len(rg)} regression(s) of at least {threshold:g} points within {window:g} days: {items}."


def _watch_sentence(report: TrendReport) -> list[str]:
    """The services below min_score or declining, lowest current score first (none: no sentence)."""
    sv = report.services
    watch = sv[
        (sv["current"].astype("Float64") < report.scoring.min_score).fillna(False) | (sv["direction"] == "declining")
    ]
    if not len(watch):
        return []
    watch = watch.sort_values(["current", SERVICE], na_position="last")
    return [
        "Look at: "
        + ", ".join(
            f"{r.service} ({'' if pd.isna(r.current) else int(r.current)}, {r.direction})"
            for r in watch.head(5).itertuples()
        )
        + (f" and {len(watch) - 5} more" if len(watch) > 5 else "")
        + "."
    ]


def _drift_sentence(report: TrendReport) -> list[str]:
    """The drift backlog at the end of the window, the flow over it, and what the backlog counts.

    Issues that came or went only because the reports' detector changed (``detector_in`` /
    ``detector_out``) are stated apart: detector churn is not remediation. No drift history: no
    sentence.
    """
    dw = report.drift_weekly
    if dw is None or not len(dw):
        return []
    a = dw[dw[SEVERITY] == "all"]
    bl = a["backlog"].dropna()
    if not len(bl):
        return []
    flow = f"{int(a['new'].sum())} new and {int(a['resolved'].sum())} resolved over the window"
    d_in = int(a["detector_in"].sum()) if "detector_in" in a else 0
    d_out = int(a["detector_out"].sum()) if "detector_out" in a else 0
    if d_in or d_out:
        flow += (
            f"; besides, {d_in} appeared and {d_out} went away only because the reports' detector changed "
            "(detector churn, not counted as new or resolved)"
        )
    last, first = float(bl.iloc[-1]), float(bl.iloc[0])
    out = [f"Drift backlog {last:.0f} open issue(s) at the end of the window (from {first:.0f}); {flow}."]
    source = dw.attrs.get("backlog_source", "")
    if source:
        out.append(f"Drift backlog source: {source}.")
    return out


def _correlation_sentence(report: TrendReport) -> list[str]:
    """The platform-level correlation statement at the shortest lag (none computed: no sentence)."""
    cr = report.correlation
    if cr is None or not len(cr):
        return []
    plat_r = cr[(cr["scope"] == "platform") & (cr["lag_weeks"] == min(report.params.lags))]
    return [str(plat_r["statement"].iloc[0])] if len(plat_r) else []

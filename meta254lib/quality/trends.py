"""Weekly quality trends from real history: the trend settings, the report, and :func:`quality_trends`.

The platform's trend script simulates per-service trends; this module computes them from the recorded
snapshots (``ws.quality_history``) and drift reports (``ws.drift_history``).

Weeks
    A window of ``weeks`` weeks ends at ``as_of`` (:mod:`meta254lib.quality.window`). A service's score
    for a week is its score in the **last** snapshot of that week. A service absent from every snapshot of
    a week has no score that week: it is never zero-filled, never carried forward.

Scores
    Every score is recomputed from the snapshot's own metrics with one scoring model
    (:mod:`meta254lib.quality.scores`, ``implemented`` by default); the model is named in every table.

Per service (:data:`~meta254lib.core.schema.QUALITY_TRENDS`)
    ``slope_per_week``: ordinary least squares of score on snapshot time (in weeks) over the weekly
    scores; ``volatility``: population standard deviation of the changes between consecutive weekly
    scores (a change across a missing week spans that gap); ``change``: last minus first weekly score;
    ``direction``: see :data:`DIRECTION_RULE`; ``presence``: ``added`` when first seen after the first
    week that has a snapshot, ``removed`` when last seen before the last such week.

Regressions, attribution, drift
    :mod:`meta254lib.quality.regressions` (drops from a recent peak), :mod:`meta254lib.quality.attribution`
    (changes split exactly into components), :mod:`meta254lib.quality.drift_trends` (drift flow from
    :mod:`meta254lib.drift.history`, put on the same weeks) and :mod:`meta254lib.quality.correlation`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core.clock import to_utc
from ..core.errors import ParameterError
from ..core.names import check_name
from ..core.reprs import summary_html, summary_text
from ..core.schema import DOMAIN, GRADE, QUALITY_WEEKLY, SCORE, SERVICE, STATUS, TEAM
from .cells import ScoredWindow, WeeklyCells, score_window, week_pairs, weekly_cells
from .changes import attribution_table, crossings_table, transitions_table
from .correlation import lag_correlation
from .drift_trends import drift_mttr, drift_weekly, service_backlog
from .labels import str_take
from .params import ScoringParams
from .regressions import find_regressions
from .rollups import group_table, platform_table
from .service_trends import service_table
from .window import grade_num, quality_as_of, typed_frame, week_ends

if TYPE_CHECKING:
    from ..workspace.workspace import Workspace

__all__ = ["DIRECTION_RULE", "TrendParams", "TrendReport", "quality_trends", "workspace_trends"]

#: The direction rule, as stated in reports.
DIRECTION_RULE = (
    "improving when the OLS slope is at least +{band:g} points/week, declining when it is at most "
    "-{band:g} points/week, otherwise stable; fewer than {min_points} weekly scores: insufficient data"
)


@dataclass(frozen=True)
class TrendParams:
    """Trend settings; :meth:`from_config` reads the regression rule from thresholds.yaml ``alerting``.

    Parameters
    ----------
    weeks : int
        Window length in weeks (12).
    drop_threshold : float
        ``alerting.quality_drop_threshold`` (10 points).
    drop_window_days : float
        ``alerting.quality_drop_window`` (7 days).
    stable_band : float
        Slopes within +/- this many points/week are ``stable`` (0.5).
    min_points : int
        Fewer weekly scores than this: ``insufficient data`` (3).
    lags : tuple of int
        Lags, in weeks, of the drift-backlog / score-change correlation (1, 2, 4).

    Examples
    --------
    >>> TrendParams.from_config({"alerting": {"quality_drop_threshold": 15}}, weeks=8).drop_threshold
    15.0
    """

    weeks: int = 12
    drop_threshold: float = 10.0
    drop_window_days: float = 7.0
    stable_band: float = 0.5
    min_points: int = 3
    lags: tuple[int, ...] = (1, 2, 4)

    def __post_init__(self) -> None:
        if int(self.weeks) < 1:
            raise ParameterError(f"weeks must be at least 1, not {self.weeks}")

    @classmethod
    def from_config(cls, thresholds: Mapping[str, Any] | None = None, **overrides: Any) -> TrendParams:
        """Settings with the regression rule from thresholds.yaml; keyword overrides win (None = keep)."""
        al = (thresholds or {}).get("alerting") or {}
        kw: dict[str, Any] = {}
        if al.get("quality_drop_threshold") is not None:
            kw["drop_threshold"] = float(al["quality_drop_threshold"])
        if al.get("quality_drop_window") is not None:
            kw["drop_window_days"] = float(al["quality_drop_window"])
        kw.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**kw)

    @property
    def direction_rule(self) -> str:
        """:data:`DIRECTION_RULE` with these settings filled in."""
        return DIRECTION_RULE.format(band=self.stable_band, min_points=self.min_points)


@dataclass(frozen=True)
class TrendReport:
    """Everything :func:`quality_trends` computes; each frame follows its schema in :mod:`meta254lib.core.schema`."""

    as_of: pd.Timestamp
    weeks: int
    model: str
    team: str | None
    params: TrendParams
    scoring: ScoringParams
    week_ends: pd.DatetimeIndex
    weekly: pd.DataFrame
    platform: pd.DataFrame
    services: pd.DataFrame
    regressions: pd.DataFrame
    attribution: pd.DataFrame
    transitions: pd.DataFrame
    crossings: pd.DataFrame
    groups: pd.DataFrame
    drift_weekly: pd.DataFrame | None = None
    drift_mttr: pd.DataFrame | None = None
    correlation: pd.DataFrame | None = None
    notes: tuple[str, ...] = field(default=())

    _repr_html_ = summary_html
    __repr__ = summary_text

    def _summary(self) -> tuple[str, dict[str, Any], pd.DataFrame]:
        last = self.platform.iloc[-1] if len(self.platform) else None
        mean = None if last is None or pd.isna(last["mean"]) else round(float(last["mean"]), 1)
        head = f"Quality trends ({self.model} model), {self.weeks} weeks to {self.as_of:%Y-%m-%d}"
        numbers = {"platform mean": mean, "regressions": len(self.regressions), "services": len(self.services)}
        cols = [c for c in ("service", "current", "change", "slope_per_week", "direction") if c in self.services]
        return head, numbers, self.services[cols]

    def matrix(self, column: str = SCORE) -> pd.DataFrame:
        """Services x week ends of ``column`` from :attr:`weekly` (NaN = no score that week).

        Rows follow :attr:`services` order; columns are every week end of the window.
        """
        if not len(self.weekly):
            return pd.DataFrame(index=pd.Index([], name=SERVICE), columns=self.week_ends, dtype="float64")
        wide = self.weekly.pivot(index=SERVICE, columns="week_end", values=column)
        wide = wide.reindex(index=self.services[SERVICE], columns=self.week_ends)
        return wide.astype("float64")


# --- the recipe --------------------------------------------------------------------------------------
def quality_trends(
    history: pd.DataFrame,
    *,
    as_of: Any,
    weeks: int | None = None,
    model: str = "implemented",
    params: ScoringParams | None = None,
    trend_params: TrendParams | None = None,
    services: pd.DataFrame | None = None,
    team: str | None = None,
    drift_history: pd.DataFrame | None = None,
) -> TrendReport:
    """Weekly quality trends (and drift flow beside them) over a window ending at ``as_of``.

    Parameters
    ----------
    history : DataFrame
        Quality history per :data:`~meta254lib.core.schema.QUALITY_HISTORY`.
    as_of : timestamp-like
        End of the window (see :func:`~meta254lib.quality.window.quality_as_of`).
    weeks : int, optional
        Window length; overrides ``trend_params.weeks`` (default 12).
    model : {"implemented", "documented"}
        Scoring model used for every score.
    params : ScoringParams, optional
        Scoring parameters (weights, multipliers, min_score, fail_under).
    trend_params : TrendParams, optional
        Regression rule, direction band, lags.
    services : DataFrame, optional
        Catalog services (service, domain, team) for the domain/team roll-ups and ``team``.
    team : str, optional
        Keep only that team's services.
    drift_history : DataFrame, optional
        Per :data:`~meta254lib.core.schema.DRIFT_HISTORY`; adds drift flow, MTTR and the lagged correlation.

    Returns
    -------
    TrendReport

    Raises
    ------
    ParameterError
        Unknown model, weeks < 1, or a team no service belongs to.

    Examples
    --------
    >>> t = pd.date_range("2025-01-05", periods=4, freq="7D", tz="UTC")
    >>> h = pd.DataFrame({"snapshot_time": t, "service": "a", "maturity": "stable",
    ...                   "coverage": [0.75, 0.75, 0.45, 0.45], "deployment_freshness_days": 1.0})
    >>> r = quality_trends(h, as_of=t[-1], weeks=4)
    >>> r.services[["service", "slope_per_week", "change", "direction"]].astype(object).values.tolist()
    [['a', -4.0, -10, 'declining']]
    >>> r.regressions[["service", "drop", "driver"]].astype(object).values.tolist()
    [['a', 10, 'coverage']]
    """
    tp = trend_params or TrendParams()
    if weeks is not None:
        tp = dataclasses.replace(tp, weeks=int(weeks))
    p = params or ScoringParams()
    end = to_utc(as_of)
    n_weeks = int(tp.weeks)
    ends = week_ends(end, n_weeks)
    info = _service_info(services)
    history, drift_history = _select_team(history, drift_history, info, team)
    lookback = pd.Timedelta(days=float(tp.drop_window_days))
    sc = score_window(history, end, n_weeks, lookback, model, p)
    cells = weekly_cells(sc, n_weeks)
    pairs = week_pairs(cells)
    cell_grades = grade_num(cells.cell_scores, p)
    drift_w, drift_m, corr = _drift_tables(drift_history, cells, ends, end, tp)
    return TrendReport(
        as_of=end,
        weeks=n_weeks,
        model=model,
        team=team,
        params=tp,
        scoring=p,
        week_ends=ends,
        weekly=_weekly_table(sc, cells, ends, model),
        platform=platform_table(cells.cw, cells.cell_scores, cell_grades, ends, cells.snapshots, model, p),
        services=service_table(sc, cells, pairs, info, ends, model, tp.stable_band, tp.min_points, p),
        regressions=find_regressions(
            sc.cols, sc.codes, sc.names, sc.t_us, sc.end_us, ends, tp.drop_threshold, tp.drop_window_days, model
        ),
        attribution=attribution_table(sc, cells, pairs, ends, model),
        transitions=transitions_table(sc, cells, pairs, ends, model, p),
        crossings=crossings_table(cells, pairs, ends, model, p),
        groups=group_table(cells.cw, cells.cs, cells.cell_scores, cell_grades, cells.names, info, ends),
        drift_weekly=drift_w,
        drift_mttr=drift_m,
        correlation=corr,
        notes=(tp.direction_rule,),
    )


# --- inputs ------------------------------------------------------------------------------------------
def _service_info(services: pd.DataFrame | None) -> pd.DataFrame:
    """service, domain and team of each catalog service (first entry of a duplicate)."""
    if services is None or not len(services):
        return pd.DataFrame({SERVICE: pd.Series([], dtype="str"), DOMAIN: [], TEAM: []})
    cols = [c for c in (SERVICE, DOMAIN, TEAM) if c in services.columns]
    info = services[cols].drop_duplicates(SERVICE, keep="first")
    for c in (DOMAIN, TEAM):
        if c not in info.columns:
            info = info.assign(**{c: pd.Series([pd.NA] * len(info), dtype="str", index=info.index)})
    return info.reset_index(drop=True)


def _select_team(
    history: pd.DataFrame, drift_history: pd.DataFrame | None, info: pd.DataFrame, team: str | None
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The quality and drift history of the team's services (all of it when ``team`` is None)."""
    if team is None:
        return history, drift_history
    if TEAM not in info.columns or not len(info):
        raise ParameterError("team: no services table with teams was given")
    team = check_name("team", team, info[TEAM].dropna(), case_insensitive=True)
    members = set(info.loc[info[TEAM] == team, SERVICE])
    if drift_history is not None:
        drift_history = drift_history[drift_history[SERVICE].isin(members)]
    return history[history[SERVICE].isin(members)], drift_history


# --- weekly scores -----------------------------------------------------------------------------------
def _weekly_table(sc: ScoredWindow, cells: WeeklyCells, ends: pd.DatetimeIndex, model: str) -> pd.DataFrame:
    """One row per weekly cell, ordered by week, then service (:data:`~meta254lib.core.schema.QUALITY_WEEKLY`)."""
    rows = cells.rows
    weekly = pd.DataFrame(
        {
            "week": cells.cw + 1,
            "week_end": ends[cells.cw],
            SERVICE: cells.labels.take(cells.cs),
            "snapshot_time": sc.frame["snapshot_time"].array.take(rows),
            SCORE: sc.frame[SCORE].array.take(rows),
            "unclamped": sc.unclamped[rows],
            GRADE: sc.frame[GRADE].array.take(rows),
            STATUS: sc.frame[STATUS].array.take(rows),
            "model": str_take([model], np.zeros(len(rows), dtype="int64")),
        }
    )
    return typed_frame(weekly, QUALITY_WEEKLY)


# --- drift beside quality ---------------------------------------------------------------------------
def _drift_tables(
    drift_history: pd.DataFrame | None,
    cells: WeeklyCells,
    ends: pd.DatetimeIndex,
    end: pd.Timestamp,
    tp: TrendParams,
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, pd.DataFrame | None]:
    """Drift flow, time to remediation and the backlog/score-change correlation (None without drift)."""
    if drift_history is None:
        return None, None, None
    drift_w = drift_weekly(drift_history, as_of=end, weeks=len(ends))
    drift_m = drift_mttr(drift_history, as_of=end)
    backlog = service_backlog(drift_history, cells.names, ends)
    return drift_w, drift_m, lag_correlation(cells.scores, backlog, cells.names, tp.lags)


# --- workspace entry point --------------------------------------------------------------------------
def workspace_trends(
    ws: Workspace,
    *,
    as_of: Any = None,
    weeks: int | None = None,
    team: str | None = None,
    model: str = "implemented",
    weights: Mapping[str, float] | None = None,
) -> TrendReport:
    """:func:`quality_trends` for a workspace: its quality and drift history, services, thresholds.

    Parameters
    ----------
    ws : Workspace
        An open workspace (:func:`meta254lib.open_workspace`).
    as_of : str or Timestamp, optional
        Default: the later of the catalog's generated_at and the newest snapshot
        (:func:`~meta254lib.quality.window.quality_as_of`).
    weeks : int, optional
        Default 12.
    team : str, optional
        Only this team's services.
    model : {"implemented", "documented"}
    weights : mapping, optional
        Replace some quality weights (``{"coverage": 0.4}``); the rest come from thresholds.yaml.

    Returns
    -------
    TrendReport
    """
    given = ws.resolve_as_of(as_of) if as_of is not None else None
    end = quality_as_of(ws.quality_history, given, fallback=ws.generated_at)
    params = ScoringParams.from_config(ws.thresholds, ws.rules)
    if weights:
        params = params.with_weights(**weights)
    drift = ws.drift_history if ws.has_input("drift_history") else None
    return quality_trends(
        ws.quality_history,
        as_of=end,
        model=model,
        params=params,
        trend_params=TrendParams.from_config(ws.thresholds, weeks=weeks),
        services=ws.services,
        team=team,
        drift_history=drift,
    )

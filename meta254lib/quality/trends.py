"""Weekly quality and drift trends from real history.

The platform's trend script simulates per-service trends; this module computes them from the recorded
snapshots (``ws.quality_history``) and drift reports (``ws.drift_history``).

Weeks
    A window of ``weeks`` weeks ends at ``as_of``. Week ``i`` (1 = oldest) ends at
    ``as_of - 7 days * (weeks - i)`` and holds the snapshots in ``(end - 7 days, end]``. A service's score
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

Regressions
    A drop of at least ``alerting.quality_drop_threshold`` points (10) from the highest score in the
    preceding ``alerting.quality_drop_window`` days (7), both read from thresholds.yaml. A run of
    snapshots below the same peak is one regression (its first snapshot).

Attribution (:data:`~meta254lib.core.schema.QUALITY_ATTRIBUTION`)
    For a change from an earlier score ``b`` to a later score ``a`` of one service (``m`` = maturity
    multiplier, ``P_k`` = the weighted part of component ``k``)::

        component_k = (P_k[a] - P_k[b]) * m[a]
        maturity    = raw[b] * (m[a] - m[b])
        clamping    = (score[a] - rounded[a]) - (score[b] - rounded[b])
        rounding    = change - (sum of the above)      # what rounding did; absorbs float noise

    so the eight columns add up to the change in the (integer) score exactly.

Drift
    Drift flow (backlog by severity, new and resolved per week, time to remediation) comes from
    :mod:`meta254lib.drift.history` (issue spells over the drift reports), put on the same weeks.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import ParameterError
from ..core.schema import (
    DOMAIN,
    DRIFT_WEEKLY,
    GRADE,
    GRADE_TRANSITIONS,
    GROUP_TRENDS,
    LAG_CORRELATION,
    QUALITY_ATTRIBUTION,
    QUALITY_PLATFORM,
    QUALITY_REGRESSIONS,
    QUALITY_TRENDS,
    QUALITY_WEEKLY,
    SCORE,
    SERVICE,
    SEVERITY,
    STATUS,
    TEAM,
    THRESHOLD_CROSSINGS,
    UTC_TS,
    TableSchema,
)
from .scores import COMPONENTS, ScoringParams, grade_of, score_history, str_take, to_utc

__all__ = [
    "DIRECTION_RULE",
    "TrendParams",
    "TrendReport",
    "attribute_changes",
    "correlation_strength",
    "drift_mttr",
    "drift_weekly",
    "lag_correlation",
    "quality_as_of",
    "quality_trends",
    "summary_sentences",
    "trends_baseline_polyfit",
    "week_ends",
    "workspace_trends",
]

#: The direction rule, as stated in reports.
DIRECTION_RULE = (
    "improving when the OLS slope is at least +{band:g} points/week, declining when it is at most "
    "-{band:g} points/week, otherwise stable; fewer than {min_points} weekly scores: insufficient data"
)
_WEEK = pd.Timedelta(days=7)
_ATTR_COLS = (*COMPONENTS, "maturity", "rounding", "clamping")
_GRADES = ("A", "B", "C", "D", "F")


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

    def matrix(self, column: str = SCORE) -> pd.DataFrame:
        """Services x week ends of ``column`` from :attr:`weekly` (NaN = no score that week).

        Rows follow :attr:`services` order; columns are every week end of the window.
        """
        if not len(self.weekly):
            return pd.DataFrame(index=pd.Index([], name=SERVICE), columns=self.week_ends, dtype="float64")
        wide = self.weekly.pivot(index=SERVICE, columns="week_end", values=column)
        wide = wide.reindex(index=self.services[SERVICE], columns=self.week_ends)
        return wide.astype("float64")


# --- helpers ----------------------------------------------------------------------------------------
def _typed(df: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    out = df.reindex(columns=list(schema.columns))
    for c, dtype in schema.dtypes.items():
        if str(out[c].dtype) != dtype:
            if dtype == UTC_TS:
                out[c] = pd.to_datetime(out[c], utc=True).astype(UTC_TS)
            elif dtype in ("int64", "bool"):
                out[c] = out[c].fillna(0).astype(dtype)
            else:
                out[c] = out[c].astype(dtype)
    return out.reset_index(drop=True)


def week_ends(as_of: Any, weeks: int) -> pd.DatetimeIndex:
    """The week ends of a window: ``as_of - 7 days * (weeks - i)`` for i = 1..weeks.

    Examples
    --------
    >>> [str(t.date()) for t in week_ends("2025-10-10", 3)]
    ['2025-09-26', '2025-10-03', '2025-10-10']
    """
    end = to_utc(as_of)
    return pd.DatetimeIndex([end - _WEEK * (weeks - i) for i in range(1, weeks + 1)]).as_unit("us")


def _i8(times: Any) -> np.ndarray:
    """Microseconds since the epoch (UTC) of a datetime series or index."""
    return pd.DatetimeIndex(pd.to_datetime(times, utc=True)).as_unit("us").asi8


def _week_of(t_i8: np.ndarray, end_i8: int, weeks: int) -> np.ndarray:
    """0-based week of each time in the window, -1 outside (week = (end - 7 days, end])."""
    delta = end_i8 - np.asarray(t_i8, dtype="int64")
    idx = weeks - 1 - np.floor_divide(delta, np.int64(_WEEK.value // 1000))
    return np.where((delta >= 0) & (idx >= 0), idx, -1)


def _week_index(times: Any, as_of: pd.Timestamp, weeks: int) -> np.ndarray:
    """0-based week of each time in the window, -1 outside."""
    return _week_of(_i8(times), int(_i8(pd.Series([as_of]))[0]), weeks)


def quality_as_of(history: pd.DataFrame, as_of: Any = None, fallback: Any = None) -> pd.Timestamp:
    """The as-of time of a quality view: ``as_of`` when given, else the later of ``fallback`` (the
    catalog's generated_at) and the newest snapshot (the platform writes its snapshot just after the
    catalog, so the catalog time alone would exclude the snapshot computed from it).

    Examples
    --------
    >>> h = pd.DataFrame({"snapshot_time": pd.to_datetime(["2025-10-09T22:31:21Z"])})
    >>> str(quality_as_of(h, fallback="2025-10-09T22:30:38Z"))
    '2025-10-09 22:31:21+00:00'
    >>> str(quality_as_of(h, "2025-10-01"))
    '2025-10-01 00:00:00+00:00'
    """
    if as_of is not None:
        return to_utc(as_of)
    times = []
    if fallback is not None:
        times.append(to_utc(fallback))
    if len(history) and "snapshot_time" in history.columns and history["snapshot_time"].notna().any():
        times.append(to_utc(history["snapshot_time"].max()))
    if not times:
        raise ParameterError("as_of: no as_of given and the quality history has no snapshot time")
    return max(times)


def correlation_strength(r: float, n: int) -> str:
    """``weak`` (|r| < 0.3), ``moderate`` (< 0.5), ``strong``, or ``not computable`` (n < 3 or r NaN).

    Examples
    --------
    >>> correlation_strength(-0.12, 40), correlation_strength(0.42, 40), correlation_strength(0.9, 2)
    ('weak', 'moderate', 'not computable')
    """
    if n < 3 or r is None or (isinstance(r, float) and math.isnan(r)):
        return "not computable"
    a = abs(r)
    return "weak" if a < 0.3 else "moderate" if a < 0.5 else "strong"


def _correlation_statement(r: float, n: int, lag: int, who: str) -> str:
    strength = correlation_strength(r, n)
    if strength == "not computable":
        why = "fewer than 3 pairs" if n < 3 else "the backlog or the score change never varied"
        return f"{who}: no correlation computable at lag {lag} week(s) ({why}; n = {n})."
    sign = "higher" if r > 0 else "lower"
    head = (
        f"{who}: r = {r:+.2f} between drift backlog and the score change {lag} week(s) later "
        f"(n = {n}), a {strength} correlation"
    )
    if strength == "weak":
        return (
            f"{head}: the backlog explains about {100 * r * r:.0f}% of the variation in later score "
            "changes, too little to predict them."
        )
    return (
        f"{head}: a larger backlog goes with {sign} later score changes "
        f"({100 * r * r:.0f}% of the variation); correlation, not proof of cause."
    )


def _pearson_groups(codes: np.ndarray, x: np.ndarray, y: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-group Pearson r and n over aligned arrays (group codes 0..k-1)."""
    n = np.bincount(codes, minlength=k).astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        mx = np.bincount(codes, x, k) / n
        my = np.bincount(codes, y, k) / n
        dx = x - mx[codes]
        dy = y - my[codes]
        sxy = np.bincount(codes, dx * dy, k)
        sxx = np.bincount(codes, dx * dx, k)
        syy = np.bincount(codes, dy * dy, k)
        r = sxy / np.sqrt(sxx * syy)
    tiny = (sxx <= 1e-12) | (syy <= 1e-12) | (n < 3)
    r = np.where(tiny, np.nan, r)
    return np.clip(r, -1.0, 1.0), n.astype("int64")


# --- attribution ----------------------------------------------------------------------------------
_SCORE_COLUMNS = (SCORE, "_rounded", "raw", "multiplier", *(f"{c}_part" for c in COMPONENTS))


def _score_columns(scored: pd.DataFrame | Mapping[str, np.ndarray]) -> Mapping[str, np.ndarray]:
    if isinstance(scored, Mapping):
        return scored
    return {c: scored[c].to_numpy(dtype="float64", na_value=np.nan) for c in _SCORE_COLUMNS}


def attribute_changes(
    scored: pd.DataFrame | Mapping[str, np.ndarray], before: np.ndarray, after: np.ndarray
) -> pd.DataFrame:
    """Attribute score changes between pairs of rows of a scored frame to the score components.

    Parameters
    ----------
    scored : DataFrame or mapping
        Output of :func:`meta254lib.quality.scores.score_history` (with its private ``_rounded`` column), or
        its columns score, _rounded, raw, multiplier and the ``*_part`` columns as float arrays.
    before, after : array of int
        Positional row numbers of the earlier and later score of each pair.

    Returns
    -------
    DataFrame
        Columns ``change`` and coverage, security, policy, stability, drift, maturity, rounding,
        clamping (they sum to ``change``), and ``driver``.

    Examples
    --------
    >>> from meta254lib.quality.scores import score_history
    >>> h = pd.DataFrame({"service": ["a", "a"], "maturity": ["beta", "beta"], "coverage": [0.9, 0.6],
    ...                   "deployment_freshness_days": [1.0, 1.0]})
    >>> a = attribute_changes(score_history(h), np.array([0]), np.array([1]))
    >>> a[["change", "coverage", "rounding", "driver"]].round(4).astype(object).values.tolist()
    [[-5, -4.75, -0.25, 'coverage']]
    """
    b = np.asarray(before, dtype="int64")
    a = np.asarray(after, dtype="int64")
    cols = _score_columns(scored)
    m_a, m_b = cols["multiplier"][a], cols["multiplier"][b]
    score, rounded, raw = cols[SCORE], cols["_rounded"], cols["raw"]
    out: dict[str, Any] = {}
    change = score[a] - score[b]
    total = np.zeros(len(a))
    for c in COMPONENTS:
        part = cols[f"{c}_part"]
        out[c] = (part[a] - part[b]) * m_a
        total = total + out[c]
    out["maturity"] = raw[b] * (m_a - m_b)
    out["clamping"] = (score[a] - rounded[a]) - (score[b] - rounded[b])
    total = total + out["maturity"] + out["clamping"]
    out["rounding"] = change - total
    frame = pd.DataFrame({"change": change.astype("int64"), **{c: out[c] for c in _ATTR_COLS}})
    mags = np.abs(np.column_stack([out[c] for c in _ATTR_COLS])) if len(a) else np.zeros((0, len(_ATTR_COLS)))
    frame["driver"] = str_take(_ATTR_COLS, mags.argmax(axis=1) if len(a) else np.array([], dtype="int64"))
    return frame


# --- the trend computation -----------------------------------------------------------------------
def _service_info(services: pd.DataFrame | None) -> pd.DataFrame:
    if services is None or not len(services):
        return pd.DataFrame({SERVICE: pd.Series([], dtype="str"), DOMAIN: [], TEAM: []})
    cols = [c for c in (SERVICE, DOMAIN, TEAM) if c in services.columns]
    info = services[cols].drop_duplicates(SERVICE, keep="first")
    for c in (DOMAIN, TEAM):
        if c not in info.columns:
            info = info.assign(**{c: pd.Series([pd.NA] * len(info), dtype="str", index=info.index)})
    return info.reset_index(drop=True)


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
        End of the window (see :func:`quality_as_of`).
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
    start = end - _WEEK * n_weeks
    info = _service_info(services)
    notes: list[str] = []

    h = history
    if team is not None:
        if TEAM not in info.columns or not len(info):
            raise ParameterError("team: no services table with teams was given")
        members = set(info.loc[info[TEAM] == team, SERVICE])
        if not members:
            known = ", ".join(sorted(info[TEAM].dropna().unique()))
            raise ParameterError(f"team: no service belongs to team {team!r}; known teams: {known}")
        h = h[h[SERVICE].isin(members)]
        if drift_history is not None:
            drift_history = drift_history[drift_history[SERVICE].isin(members)]
    lookback = pd.Timedelta(days=float(tp.drop_window_days))
    if "snapshot_time" in h.columns and len(h):
        times = pd.to_datetime(h["snapshot_time"], utc=True)
        h = h[(times > start - lookback) & (times <= end)]
    scored = score_history(h, model, p, as_of=end, missing_inputs=False)
    t_i8 = _i8(scored["snapshot_time"])
    end_i8 = _i8(pd.Series([end]))[0]
    codes, names = pd.factorize(scored[SERVICE], sort=True)
    names = np.asarray(names, dtype=object)

    # weekly cells: the last snapshot of each (service, week); scored is sorted by time
    wk = _week_of(t_i8, end_i8, n_weeks)
    sel = (wk >= 0) & (codes >= 0)
    full = np.full((len(names), n_weeks), -1, dtype="int64")
    np.maximum.at(full, (codes[sel], wk[sel]), np.nonzero(sel)[0])
    keep_svc = (full >= 0).any(axis=1)
    svc_names = names[keep_svc]
    idx = full[keep_svc]
    n_svc = len(svc_names)
    svc_str = str_take(svc_names, np.arange(n_svc))
    present = idx >= 0
    safe = np.where(present, idx, 0)

    cols_all = _score_columns(scored)
    score_all = cols_all[SCORE]
    unclamped_all = scored["unclamped"].to_numpy(dtype="float64")
    x_all = (t_i8 - end_i8) / (_WEEK.value / 1000)
    S = np.where(present, score_all[safe], np.nan) if len(scored) else np.full((n_svc, n_weeks), np.nan)
    X = np.where(present, x_all[safe], np.nan) if len(scored) else np.full((n_svc, n_weeks), np.nan)

    # weekly long table, ordered by week then service
    cw, cs = np.nonzero(present.T)
    crow = idx[cs, cw]
    weekly = pd.DataFrame(
        {
            "week": cw + 1,
            "week_end": ends[cw],
            SERVICE: svc_str.take(cs),
            "snapshot_time": scored["snapshot_time"].array.take(crow),
            SCORE: scored[SCORE].array.take(crow),
            "unclamped": unclamped_all[crow],
            GRADE: scored[GRADE].array.take(crow),
            STATUS: scored[STATUS].array.take(crow),
            "model": str_take([model], np.zeros(len(crow), dtype="int64")),
        }
    )
    weekly = _typed(weekly, QUALITY_WEEKLY)

    # platform series
    snap_week = _week_of(np.unique(t_i8[wk >= 0]), end_i8, n_weeks)
    snapshots_per_week = np.bincount(snap_week[snap_week >= 0], minlength=n_weeks)
    cell_score = score_all[crow] if len(crow) else np.array([], dtype="float64")
    cell_grade = _grade_num(cell_score, p)
    platform = _platform(cw, cell_score, cell_grade, ends, snapshots_per_week, model, p)

    # per-service trends
    n_pts = present.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        xm = np.nansum(X, axis=1) / n_pts
        ym = np.nansum(S, axis=1) / n_pts
        dx = np.where(present, X - xm[:, None], 0.0)
        dy = np.where(present, S - ym[:, None], 0.0)
        sxx = (dx * dx).sum(axis=1)
        slope = np.where((n_pts >= 2) & (sxx > 0), (dx * dy).sum(axis=1) / sxx, np.nan)
    # previous present week of every cell (a change across a missing week spans the gap)
    col = np.where(present, np.arange(n_weeks)[None, :], -1)
    acc = np.maximum.accumulate(col, axis=1)
    prev = np.full_like(acc, -1)
    if n_weeks > 1:
        prev[:, 1:] = acc[:, :-1]
    pair_w, pair_s = np.nonzero((present & (prev >= 0)).T)  # ordered by week, then service
    pair_p = prev[pair_s, pair_w]
    diffs = S[pair_s, pair_w] - S[pair_s, pair_p]
    cnt = np.bincount(pair_s, minlength=n_svc).astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        dmean = np.bincount(pair_s, diffs, n_svc) / cnt
        volatility = np.sqrt(np.bincount(pair_s, (diffs - dmean[pair_s]) ** 2, n_svc) / cnt)
    rows_ar = np.arange(n_svc)
    first = present.argmax(axis=1)
    last = n_weeks - 1 - present[:, ::-1].argmax(axis=1)
    first_score = S[rows_ar, first]
    last_score = S[rows_ar, last]
    has_snap = snapshots_per_week > 0
    first_snap = int(np.argmax(has_snap)) if has_snap.any() else 0
    last_snap = int(n_weeks - 1 - np.argmax(has_snap[::-1])) if has_snap.any() else n_weeks - 1
    added = first > first_snap
    removed = last < last_snap
    presence = np.select(
        [added & removed, added, removed], ["added+removed", "added", "removed"], default="throughout"
    ).astype(object)
    cum = np.cumsum((~present) & has_snap[None, :], axis=1)
    gaps = cum[rows_ar, last] - cum[rows_ar, first]
    band = float(tp.stable_band)
    direction = np.where(
        n_pts < tp.min_points,
        "insufficient data",
        np.where(slope >= band, "improving", np.where(slope <= -band, "declining", "stable")),
    ).astype(object)
    current = S[:, -1]
    u_last = np.where(present[:, -1], unclamped_all[safe[:, -1]], np.nan) if n_svc else np.array([])
    rank = pd.Series(u_last, dtype="float64").rank(method="min", ascending=False).to_numpy()

    def ints(a: np.ndarray) -> pd.arrays.IntegerArray:
        return pd.array(a, dtype="Float64").round(0).astype("Int64")

    svc_df = pd.DataFrame(
        {
            SERVICE: svc_names,
            "model": model,
            "weeks_present": n_pts,
            "first_seen": ends[first],
            "last_seen": ends[last],
            "presence": presence,
            "gaps": gaps,
            "slope_per_week": slope,
            "volatility": volatility,
            "first_score": ints(first_score),
            "current": ints(current),
            "last_score": ints(last_score),
            "change": ints(last_score - first_score),
            "direction": direction,
            GRADE: grade_of(last_score, p.grade_bounds) if n_svc else np.array([], dtype=object),
            "rank": ints(rank),
        }
    )
    svc_df = svc_df.merge(info, on=SERVICE, how="left")
    svc_df = svc_df.sort_values(["slope_per_week", SERVICE], na_position="last", kind="stable")
    svc_df = _typed(svc_df, QUALITY_TRENDS)

    # attribution, transitions, crossings between consecutive weekly scores
    b_rows = idx[pair_s, pair_p]
    a_rows = idx[pair_s, pair_w]
    s_from, s_to = S[pair_s, pair_p], S[pair_s, pair_w]

    def pairs_frame(sel: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(
            {
                SERVICE: svc_str.take(pair_s[sel]),
                "model": model,
                "week": pair_w[sel] + 1,
                "from_week_end": ends[pair_p[sel]],
                "week_end": ends[pair_w[sel]],
                "from_score": s_from[sel],
                "to_score": s_to[sel],
            }
        )

    changed = np.nonzero(s_to != s_from)[0]
    attr = attribute_changes(cols_all, b_rows[changed], a_rows[changed])
    attribution = _typed(pd.concat([pairs_frame(changed), attr], axis=1), QUALITY_ATTRIBUTION)
    grade_num = _grade_num(score_all, p)
    g_from, g_to = grade_num[b_rows], grade_num[a_rows]
    moved = np.nonzero(g_from != g_to)[0]
    trans = pairs_frame(moved).assign(
        from_grade=str_take(_GRADES, g_from[moved]),
        to_grade=str_take(_GRADES, g_to[moved]),
        direction=str_take(("up", "down"), (g_to[moved] > g_from[moved]).astype("int64")),
    )
    transitions = _typed(trans, GRADE_TRANSITIONS)
    cross = []
    for k, (name, value) in enumerate((("fail_under", p.fail_under), ("min_score", p.min_score))):
        below = (s_from >= value) & (s_to < value)
        hit = np.nonzero(below | ((s_from < value) & (s_to >= value)))[0]
        cross.append((hit, k, name, float(value), below[hit]))
    keys = np.concatenate([np.column_stack([pair_w[h], pair_s[h], np.full(len(h), k)]) for h, k, *_ in cross])
    frames = [
        pairs_frame(h).assign(threshold=name, value=v, crossing=str_take(("rose above", "fell below"), b.astype(int)))
        for h, _, name, v, b in cross
    ]
    order = np.lexsort((keys[:, 2], keys[:, 1], keys[:, 0]))
    crossings = _typed(pd.concat(frames, ignore_index=True).iloc[order], THRESHOLD_CROSSINGS)

    # regressions over individual snapshots (not weekly cells)
    regressions = _regressions(cols_all, codes, names, t_i8, end_i8, ends, n_weeks, tp, model)
    groups = _groups(cw, cs, cell_score, cell_grade, svc_names, info, ends)
    notes.append(tp.direction_rule)
    drift_w = drift_m = corr = None
    if drift_history is not None:
        drift_w = drift_weekly(drift_history, as_of=end, weeks=n_weeks)
        drift_m = drift_mttr(drift_history, as_of=end)
        backlog = _service_backlog(drift_history, svc_names, ends)
        corr = lag_correlation(S, backlog, svc_names, tp.lags)
    return TrendReport(
        as_of=end,
        weeks=n_weeks,
        model=model,
        team=team,
        params=tp,
        scoring=p,
        week_ends=ends,
        weekly=weekly,
        platform=platform,
        services=svc_df,
        regressions=regressions,
        attribution=attribution,
        transitions=transitions,
        crossings=crossings,
        groups=groups,
        drift_weekly=drift_w,
        drift_mttr=drift_m,
        correlation=corr,
        notes=tuple(notes),
    )


def _cell_stats(key: np.ndarray, k: int, score: np.ndarray, grade: np.ndarray) -> dict[str, np.ndarray]:
    """Per-key (0..k-1) count, mean, median, min, max and A..F counts of scores (no Python loop)."""
    n = np.bincount(key, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(key, score, k) / n
    ser = pd.Series(score).groupby(key)
    med = ser.median().reindex(range(k)).to_numpy(dtype="float64")
    lo = ser.min().reindex(range(k)).to_numpy(dtype="float64")
    hi = ser.max().reindex(range(k)).to_numpy(dtype="float64")
    grades = np.bincount(key * 6 + grade, minlength=k * 6).reshape(k, 6)
    out = {"services": n, "mean": np.where(n > 0, mean, np.nan), "median": med, "min": lo, "max": hi}
    out.update({g: grades[:, i] for i, g in enumerate(_GRADES)})
    return out


def _platform(
    cw: np.ndarray,
    score: np.ndarray,
    grade: np.ndarray,
    ends: pd.DatetimeIndex,
    snapshots: np.ndarray,
    model: str,
    p: ScoringParams,
) -> pd.DataFrame:
    n_weeks = len(ends)
    stats = _cell_stats(cw, n_weeks, score, grade)
    out = pd.DataFrame({"week": np.arange(1, n_weeks + 1), "week_end": ends, "model": model, "snapshots": snapshots})
    for c, v in stats.items():
        out[c] = v
    out["below_min_score"] = np.bincount(cw, score < p.min_score, n_weeks).astype("int64")
    out["failing"] = np.bincount(cw, score < p.fail_under, n_weeks).astype("int64")
    return _typed(out, QUALITY_PLATFORM)


def _grade_num(score: np.ndarray, p: ScoringParams) -> np.ndarray:
    """0..4 for A..F (5 for NaN, so that NaN never equals a grade)."""
    b = p.grade_bounds
    codes = np.select([score >= b[0], score >= b[1], score >= b[2], score >= b[3]], [0, 1, 2, 3], 4)
    return np.where(np.isnan(score), 5, codes)


def _groups(
    cw: np.ndarray,
    cs: np.ndarray,
    score: np.ndarray,
    grade: np.ndarray,
    svc_names: np.ndarray,
    info: pd.DataFrame,
    ends: pd.DatetimeIndex,
) -> pd.DataFrame:
    if not len(cw):
        return _typed(pd.DataFrame(), GROUP_TRENDS)
    n_weeks = len(ends)
    lookup = info.set_index(SERVICE).reindex(svc_names)
    frames = []
    for gtype, col in (("domain", DOMAIN), ("team", TEAM)):
        labels = lookup[col].astype(object).where(lookup[col].notna(), "(unknown)").to_numpy()
        gcodes, guniq = pd.factorize(labels, sort=True)
        key = gcodes[cs] * n_weeks + cw
        stats = _cell_stats(key, len(guniq) * n_weeks, score, grade)
        keep = np.nonzero(stats["services"] > 0)[0]
        frame = pd.DataFrame({c: v[keep] for c, v in stats.items() if c not in ("min", "max")})
        frame["group_type"] = gtype
        frame["group"] = str_take(np.asarray(guniq, dtype=object), keep // n_weeks)
        frame["week"] = keep % n_weeks + 1
        frame["week_end"] = ends[keep % n_weeks]
        frames.append(frame)
    return _typed(pd.concat(frames, ignore_index=True), GROUP_TRENDS)


def _regressions(
    scored: Mapping[str, np.ndarray],
    codes: np.ndarray,
    names: np.ndarray,
    t_i8: np.ndarray,
    end_i8: int,
    ends: pd.DatetimeIndex,
    n_weeks: int,
    tp: TrendParams,
    model: str,
) -> pd.DataFrame:
    ok = codes >= 0
    if not ok.any():
        return _typed(pd.DataFrame(), QUALITY_REGRESSIONS)
    snap_times = np.unique(t_i8[ok])
    t_code = np.searchsorted(snap_times, t_i8)
    n_s, n_t = len(names), len(snap_times)
    idx = np.full((n_s, n_t), -1, dtype="int64")
    idx[codes[ok], t_code[ok]] = np.nonzero(ok)[0]
    score = scored[SCORE]
    Z = np.where(idx >= 0, score[np.where(idx >= 0, idx, 0)], np.nan)
    window = int(pd.Timedelta(days=float(tp.drop_window_days)).value // 1000)
    lo = np.searchsorted(snap_times, snap_times - window, side="left")
    start_i8 = end_i8 - n_weeks * (_WEEK.value // 1000)
    found = []
    prev_flag = np.zeros(n_s, dtype=bool)
    prev_peak = np.full(n_s, -1)
    for j in range(n_t):
        k0 = lo[j]
        if k0 >= j:
            prev_flag[:] = False
            continue
        peak = np.fmax.reduce(Z[:, k0:j], axis=1)
        peak_at = np.full(n_s, -1)
        for k in range(j - 1, k0 - 1, -1):  # the latest snapshot holding the peak
            hit = (peak_at < 0) & (Z[:, k] == peak)
            peak_at[hit] = k
        flag = (peak - Z[:, j]) >= tp.drop_threshold
        new = flag & ~(prev_flag & (prev_peak == peak_at))
        if snap_times[j] > start_i8:
            s_new = np.nonzero(new)[0]
            found.append(np.column_stack([s_new, peak_at[s_new], np.full(len(s_new), j)]))
        absent = np.isnan(Z[:, j])
        prev_peak = np.where(flag, peak_at, prev_peak)
        prev_flag = flag | (prev_flag & absent)
    arr = np.concatenate(found) if found else np.empty((0, 3), dtype="int64")
    if not len(arr):
        return _typed(pd.DataFrame(), QUALITY_REGRESSIONS)
    order = np.lexsort((arr[:, 0], arr[:, 2]))  # by time, then service
    arr = arr[order]
    b_rows, a_rows = idx[arr[:, 0], arr[:, 1]], idx[arr[:, 0], arr[:, 2]]
    attr = attribute_changes(scored, b_rows, a_rows)
    wk = _week_of(snap_times[arr[:, 2]], end_i8, n_weeks)
    times = pd.to_datetime(snap_times, unit="us", utc=True)
    out = pd.DataFrame(
        {
            SERVICE: names[arr[:, 0]],
            "model": model,
            "time": times[arr[:, 2]],
            "week": wk + 1,
            "week_end": ends[wk],
            "from_time": times[arr[:, 1]],
            "from_score": score[b_rows],
            "to_score": score[a_rows],
            "drop": score[b_rows] - score[a_rows],
        }
    )
    return _typed(pd.concat([out, attr.drop(columns="change")], axis=1), QUALITY_REGRESSIONS)


# --- drift flow (computed by meta254lib.drift.history, aligned to the trend weeks) ------------------
def _week_of_times(times: pd.Series, ends: pd.DatetimeIndex) -> np.ndarray:
    """0-based index of the first week end at or after each time (len(ends) when after the window,
    -1 when before it; NaT -> len(ends))."""
    t = pd.to_datetime(times, utc=True)
    out = np.searchsorted(ends.asi8, pd.DatetimeIndex(t).as_unit("us").asi8, side="left")
    out = np.where(t.isna().to_numpy(), len(ends), out)
    start = (ends[0] - _WEEK).value // 1000
    return np.where(pd.DatetimeIndex(t).as_unit("us").asi8 <= start, -1, out)


def _drift_upto(drift_history: pd.DataFrame | None, end: pd.Timestamp) -> pd.DataFrame | None:
    """Drift history rows up to ``end``; None when no report is left."""
    if drift_history is None or not len(drift_history):
        return None
    d = drift_history[pd.to_datetime(drift_history["report_time"], utc=True) <= end]
    return d if len(d) else None


def drift_weekly(drift_history: pd.DataFrame, *, as_of: Any, weeks: int = 12, policy: Any = None) -> pd.DataFrame:
    """Drift backlog by severity at each week end, and new / resolved issues per week.

    The issue spells, the backlog per report and the severity rules come from
    :mod:`meta254lib.drift.history` (exempt issues left out; ``error`` and unknown severities take
    their type's policy severity); this function only puts them on the weeks of the quality trend
    (``(end - 7 days, end]``). The backlog at a week end is the latest report at or before it (NA
    before the first report); *new* counts spells that started in the week (not those already open in
    the first report), *resolved* those whose first report without the issue falls in the week.

    Returns
    -------
    DataFrame
        Per :data:`~meta254lib.core.schema.DRIFT_WEEKLY`, ordered by week, severity (high, medium, low, all).

    Examples
    --------
    >>> t = pd.to_datetime(["2025-01-01", "2025-01-08", "2025-01-15"], utc=True)
    >>> dh = pd.DataFrame({"report": ["r1", "r1", "r2", "r3"], "report_time": t[[0, 0, 1, 2]],
    ...                    "issue_id": ["x", "y", "y", "z"], "severity": ["high", "low", "low", "high"],
    ...                    "service": ["a", "b", "b", "a"], "type": "spec_minor_lag"})
    >>> f = drift_weekly(dh, as_of="2025-01-15", weeks=2)
    >>> f.query("severity == 'all'")[["backlog", "new", "resolved", "reports"]].astype(object).values.tolist()
    [[1.0, 0, 1, 1], [1.0, 1, 1, 1]]
    """
    from ..drift.engine import SEVERITIES
    from ..drift.history import backlog, issue_spells

    end = to_utc(as_of)
    ends = week_ends(end, weeks)
    sevs = (*SEVERITIES, "all")
    dh = _drift_upto(drift_history, end)
    bl = backlog(dh, end, policy) if dh is not None else pd.DataFrame()
    spells = issue_spells(dh, end, policy) if dh is not None else pd.DataFrame()
    rows = []
    if len(bl):
        rt = pd.DatetimeIndex(pd.to_datetime(bl["report_time"], utc=True)).as_unit("us").asi8
        at = np.searchsorted(rt, ends.asi8, side="right") - 1
        report_week = _week_of_times(bl["report_time"], ends)
        reports = np.bincount(report_week[(report_week >= 0) & (report_week < weeks)], minlength=weeks)
        table = bl.reindex(columns=[*SEVERITIES, "total"]).to_numpy(dtype="float64")
    else:
        at = np.full(weeks, -1)
        reports = np.zeros(weeks, dtype="int64")
        table = np.zeros((0, len(SEVERITIES) + 1))
    started = spells[~spells["carried_in"]] if len(spells) else spells
    new_w = _week_of_times(started["first_seen"], ends) if len(started) else np.array([], dtype="int64")
    res_w = _week_of_times(spells["resolved_at"], ends) if len(spells) else np.array([], dtype="int64")
    for k, sev in enumerate(sevs):
        sel_new = (
            np.ones(len(new_w), bool) if sev == "all" or not len(new_w) else (started["severity"] == sev).to_numpy()
        )
        sel_res = (
            np.ones(len(res_w), bool) if sev == "all" or not len(res_w) else (spells["severity"] == sev).to_numpy()
        )
        nw, rs = new_w[sel_new], res_w[sel_res]
        n_new = np.bincount(nw[(nw >= 0) & (nw < weeks)], minlength=weeks)
        n_res = np.bincount(rs[(rs >= 0) & (rs < weeks)], minlength=weeks)
        for i in range(weeks):
            value = table[at[i], k] if at[i] >= 0 else np.nan
            rows.append((i + 1, ends[i], sev, value, int(n_new[i]), int(n_res[i]), int(reports[i])))
    out = pd.DataFrame(rows, columns=["week", "week_end", SEVERITY, "backlog", "new", "resolved", "reports"])
    out["_s"] = out[SEVERITY].map({s: i for i, s in enumerate(sevs)})
    return _typed(out.sort_values(["week", "_s"], kind="stable"), DRIFT_WEEKLY)


def drift_mttr(drift_history: pd.DataFrame, *, as_of: Any, policy: Any = None) -> pd.DataFrame:
    """Time to remediation by severity, as the drift history computes it (Kaplan–Meier, open issues
    censored at ``as_of``): :func:`meta254lib.drift.history.time_to_remediation`."""
    from ..drift.history import time_to_remediation

    end = to_utc(as_of)
    return time_to_remediation(_drift_upto(drift_history, end), end, by="severity", policy=policy)


def _service_backlog(
    drift_history: pd.DataFrame, services: np.ndarray, ends: pd.DatetimeIndex, policy: Any = None
) -> np.ndarray:
    """Services x weeks: open (non-exempt) drift issues at each week end (NaN before the first report)."""
    from ..drift.history import backlog, issue_spells

    n_s, n_w = len(services), len(ends)
    out = np.full((n_s, n_w), np.nan)
    drift_history = _drift_upto(drift_history, ends[-1])
    if not n_s or drift_history is None:
        return out
    bl = backlog(drift_history, ends[-1], policy)
    if not len(bl):
        return out
    first_report = pd.to_datetime(bl["report_time"], utc=True).min()
    sp = issue_spells(drift_history, ends[-1], policy)
    code = pd.Index(services).get_indexer(sp["service"].astype(object))
    sp = sp[code >= 0]
    code = code[code >= 0]
    counts = np.zeros((n_s, n_w + 1))
    if len(sp):
        # open at week end e: first_seen <= e < resolved_at
        w0 = np.searchsorted(ends.asi8, pd.DatetimeIndex(sp["first_seen"]).as_unit("us").asi8, side="left")
        res = pd.DatetimeIndex(sp["resolved_at"]).as_unit("us")
        w1 = np.where(res.isna(), n_w, np.searchsorted(ends.asi8, res.asi8, side="left"))
        np.add.at(counts, (code, w0), 1.0)
        np.add.at(counts, (code, w1), -1.0)
    open_ = np.cumsum(counts, axis=1)[:, :n_w]
    have_report = np.asarray(ends >= first_report)
    out[:, have_report] = open_[:, have_report]
    return out


def lag_correlation(
    scores: np.ndarray, backlog: np.ndarray, services: np.ndarray, lags: tuple[int, ...] = (1, 2, 4)
) -> pd.DataFrame:
    """Pearson r of drift backlog at week t with the score change from t to t + lag.

    Parameters
    ----------
    scores, backlog : ndarray
        Services x weeks (NaN = no value; never zero-filled).
    services : ndarray
        Service names of the rows.
    lags : tuple of int

    Returns
    -------
    DataFrame
        Per :data:`~meta254lib.core.schema.LAG_CORRELATION`: a ``platform`` row per lag (all service-weeks
        pooled), then one row per (service, lag) with at least one pair, ordered by lag, service.

    Examples
    --------
    >>> s = np.array([[90, 88, 85, 85, 80.0]]); b = np.array([[1, 2, 3, 0, 5.0]])
    >>> c = lag_correlation(s, b, np.array(["a"]), (1,))
    >>> c[["scope", "n", "strength"]].values.tolist()[0], round(float(c["r"].iloc[0]), 2)
    (['platform', 4, 'strong'], 0.87)
    """
    rows = []
    n_s, n_w = scores.shape if scores.ndim == 2 else (0, 0)
    for lag in lags:
        if lag >= n_w:
            rows.append(("platform", "", lag, 0, np.nan))
            continue
        x = backlog[:, : n_w - lag]
        y = scores[:, lag:] - scores[:, : n_w - lag]
        ok = ~(np.isnan(x) | np.isnan(y))
        si, _ = np.nonzero(ok)
        xv, yv = x[ok], y[ok]
        r_all, n_all = _pearson_groups(np.zeros(len(xv), dtype="int64"), xv, yv, 1)
        rows.append(("platform", "", lag, int(n_all[0]), float(r_all[0])))
        r_s, n_s_arr = _pearson_groups(si, xv, yv, n_s)
        for i in np.nonzero(n_s_arr > 0)[0]:
            rows.append(("service", str(services[i]), lag, int(n_s_arr[i]), float(r_s[i])))
    out = pd.DataFrame(rows, columns=["scope", SERVICE, "lag_weeks", "n", "r"])
    out["strength"] = [correlation_strength(r, n) for r, n in zip(out["r"], out["n"], strict=True)]
    out["statement"] = [
        _correlation_statement(r, n, lag, "All services" if sc == "platform" else svc)
        for sc, svc, lag, n, r in zip(out["scope"], out[SERVICE], out["lag_weeks"], out["n"], out["r"], strict=True)
    ]
    out = out.assign(_o=(out["scope"] != "platform").astype(int)).sort_values(
        ["lag_weeks", "_o", SERVICE], kind="stable"
    )
    return _typed(out.drop(columns="_o"), LAG_CORRELATION)


# --- summary -----------------------------------------------------------------------------------------
def summary_sentences(report: TrendReport, limit: int = 3) -> list[str]:
    """The executive summary of a trend report, as sentences computed from its tables.

    Examples
    --------
    >>> t = pd.date_range("2025-01-05", periods=4, freq="7D", tz="UTC")
    >>> h = pd.DataFrame({"snapshot_time": t, "service": "a", "maturity": "stable",
    ...                   "coverage": [0.75, 0.75, 0.45, 0.45], "deployment_freshness_days": 1.0})
    >>> print(summary_sentences(quality_trends(h, as_of=t[-1], weeks=4))[0])
    Platform mean score (implemented model) went from 100.0 in the week ending 2025-01-05 to 90.0 in the week ending 2025-01-26 (-10.0 points) over 1 service(s).
    """  # noqa: E501
    out: list[str] = []
    m = report.model
    plat = report.platform[report.platform["services"] > 0]
    if not len(plat):
        return [f"No quality snapshot falls in the {report.weeks} weeks ending {report.as_of.date()}."]
    f, lst = plat.iloc[0], plat.iloc[-1]
    if len(plat) == 1:
        out.append(
            f"Platform mean score ({m} model) was {lst['mean']:.1f} over {int(lst['services'])} service(s) in the "
            f"week ending {lst['week_end'].date()}, the only week of the window with a snapshot: no trend yet."
        )
    else:
        out.append(
            f"Platform mean score ({m} model) went from {f['mean']:.1f} in the week ending {f['week_end'].date()} "
            f"to {lst['mean']:.1f} in the week ending {lst['week_end'].date()} ({lst['mean'] - f['mean']:+.1f} points) "
            f"over {int(lst['services'])} service(s)."
        )
    sv = report.services
    counts = sv["direction"].value_counts()
    out.append(
        f"{int(counts.get('improving', 0))} service(s) improved, {int(counts.get('declining', 0))} declined, "
        f"{int(counts.get('stable', 0))} stayed stable and {int(counts.get('insufficient data', 0))} had too few "
        f"weeks ({report.params.direction_rule})."
    )
    imp = sv[sv["direction"] == "improving"].sort_values(["slope_per_week", SERVICE], ascending=[False, True])
    dec = sv[sv["direction"] == "declining"].sort_values(["slope_per_week", SERVICE], ascending=[True, True])
    if len(imp):
        names = ", ".join(f"{r.service} ({r.slope_per_week:+.1f}/week)" for r in imp.head(limit).itertuples())
        out.append(f"Most improved: {names}.")
    if len(dec):
        names = ", ".join(f"{r.service} ({r.slope_per_week:+.1f}/week)" for r in dec.head(limit).itertuples())
        out.append(f"Most declined: {names}.")
    rg = report.regressions
    if len(rg):
        worst = rg.sort_values(["drop", "time"], ascending=[False, False]).head(limit)
        items = ", ".join(
            f"{r.service} {int(r.from_score)}→{int(r.to_score)} on {r.time.date()} (mainly {r.driver})"
            for r in worst.itertuples()
        )
        out.append(
            f"{len(rg)} regression(s) of at least {report.params.drop_threshold:g} points within "
            f"{report.params.drop_window_days:g} days: {items}."
        )
    else:
        out.append(
            f"No regression of {report.params.drop_threshold:g}+ points within {report.params.drop_window_days:g} days."
        )
    watch = sv[
        (sv["current"].astype("Float64") < report.scoring.min_score).fillna(False) | (sv["direction"] == "declining")
    ]
    if len(watch):
        watch = watch.sort_values(["current", SERVICE], na_position="last")
        out.append(
            "Look at: "
            + ", ".join(
                f"{r.service} ({'' if pd.isna(r.current) else int(r.current)}, {r.direction})"
                for r in watch.head(5).itertuples()
            )
            + (f" and {len(watch) - 5} more" if len(watch) > 5 else "")
            + "."
        )
    dw = report.drift_weekly
    if dw is not None and len(dw):
        a = dw[dw[SEVERITY] == "all"]
        bl = a["backlog"].dropna()
        if len(bl):
            out.append(
                f"Drift backlog {float(bl.iloc[-1]):.0f} open issue(s) at the end of the window "
                f"(from {float(bl.iloc[0]):.0f}); {int(a['new'].sum())} new and {int(a['resolved'].sum())} resolved "
                "over the window."
            )
    cr = report.correlation
    if cr is not None and len(cr):
        plat_r = cr[(cr["scope"] == "platform") & (cr["lag_weeks"] == min(report.params.lags))]
        if len(plat_r):
            out.append(str(plat_r["statement"].iloc[0]))
    return out


# --- benchmark baseline ------------------------------------------------------------------------------
def trends_baseline_polyfit(
    history: pd.DataFrame,
    *,
    as_of: Any = None,
    weeks: int = 12,
    model: str = "implemented",
    params: ScoringParams | None = None,
) -> pd.DataFrame:
    """Baseline for the benchmark: per-service slopes with a Python loop over ``numpy.polyfit``.

    Same weekly cells as :func:`quality_trends` (so the slopes agree); only the slope step differs.

    Returns
    -------
    DataFrame
        service, n, slope_per_week; ordered by service.

    Examples
    --------
    >>> t = pd.date_range("2025-01-05", periods=4, freq="7D", tz="UTC")
    >>> h = pd.DataFrame({"snapshot_time": t, "service": "a", "maturity": "stable",
    ...                   "coverage": [0.75, 0.75, 0.45, 0.45], "deployment_freshness_days": 1.0})
    >>> round(float(trends_baseline_polyfit(h, as_of=t[-1], weeks=4)["slope_per_week"].iloc[0]), 6)
    -4.0
    """
    end = quality_as_of(history, as_of)
    scored = score_history(history, model, params, as_of=end, missing_inputs=False)
    wk = _week_index(scored["snapshot_time"], end, weeks)
    cells = scored.assign(_wk=wk)[wk >= 0].drop_duplicates([SERVICE, "_wk"], keep="last")
    x_all = (cells["snapshot_time"] - end) / _WEEK
    cells = cells.assign(_x=x_all.to_numpy(dtype="float64"), _y=cells[SCORE].to_numpy(dtype="float64"))
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.RankWarning)
        for svc, grp in cells.groupby(SERVICE, sort=True):
            n = len(grp)
            slope = float(np.polyfit(grp["_x"].to_numpy(), grp["_y"].to_numpy(), 1)[0]) if n >= 2 else np.nan
            rows.append((svc, n, slope))
    return pd.DataFrame(rows, columns=[SERVICE, "n", "slope_per_week"])


# --- workspace entry point --------------------------------------------------------------------------
def workspace_trends(
    ws: Any,
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
        Default: the later of the catalog's generated_at and the newest snapshot (:func:`quality_as_of`).
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

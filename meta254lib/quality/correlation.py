"""Lagged correlation of drift backlog with later score changes, and the plain sentence that states it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..core.numfmt import signed
from ..core.schema import LAG_CORRELATION, SERVICE
from .window import typed_frame

__all__ = ["correlation_statement", "correlation_strength", "lag_correlation"]


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


def correlation_statement(r: float, n: int, lag: int, who: str) -> str:
    """One sentence on the correlation ``r`` over ``n`` pairs at ``lag`` weeks, for ``who``.

    Examples
    --------
    >>> correlation_statement(0.1, 2, 1, "x")
    'x: no correlation computable at lag 1 week(s) (fewer than 3 pairs; n = 2).'
    >>> correlation_statement(-0.001, 40, 2, "All services")[:24]  # never "-0.00"
    'All services: r = 0.00 b'
    """
    strength = correlation_strength(r, n)
    if strength == "not computable":
        why = "fewer than 3 pairs" if n < 3 else "the backlog or the score change never varied"
        return f"{who}: no correlation computable at lag {lag} week(s) ({why}; n = {n})."
    sign = "higher" if r > 0 else "lower"
    head = (
        f"{who}: r = {signed(r)} between drift backlog and the score change {lag} week(s) later "
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
        correlation_statement(r, n, lag, "All services" if sc == "platform" else svc)
        for sc, svc, lag, n, r in zip(out["scope"], out[SERVICE], out["lag_weeks"], out["n"], out["r"], strict=True)
    ]
    out = out.assign(_o=(out["scope"] != "platform").astype(int)).sort_values(
        ["lag_weeks", "_o", SERVICE], kind="stable"
    )
    return typed_frame(out.drop(columns="_o"), LAG_CORRELATION)

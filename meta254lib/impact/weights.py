"""The weighted impact formula and the severity rule: how much one impacted service weighs, and what a total means.

Weighted impact (weights are parameters, see :class:`ImpactWeights`)::

    weight = M[maturity] × (1 + a·(1 − Q/100) + b·min(D, Dcap)/Dcap) × decay^(distance − 1)

``M`` ranks maturity (stable > beta > experimental), ``Q`` is the latest quality score (a missing
score counts as risk ``q_missing``), ``D`` the open drift issues (the term is 0 when no drift counts
are given), and the weight halves (``decay``) with every hop beyond the first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..core.errors import ParameterError

__all__ = ["ImpactWeights", "SeverityRule", "Weigher"]


def _default_maturity() -> dict[str, float]:
    return {"stable": 1.0, "beta": 0.7, "experimental": 0.4, "deprecated": 0.5}


@dataclass(frozen=True)
class ImpactWeights:
    """Weights of the weighted impact (see the module docstring for the formula).

    Attributes
    ----------
    maturity : dict
        ``M``: weight per maturity (stable 1.0 > beta 0.7 > experimental 0.4; deprecated 0.5).
    maturity_other : float
        ``M`` for a maturity not listed (or missing).
    quality : float
        ``a``: weight of quality risk ``1 − Q/100``.
    q_missing : float
        Quality risk used when a service has no score.
    drift : float
        ``b``: weight of drift risk ``min(D, Dcap)/Dcap``.
    drift_cap : int
        ``Dcap``: drift issues beyond this add no more risk.
    decay : float
        Multiplier per hop beyond the first (0 < decay ≤ 1).

    Examples
    --------
    >>> ImpactWeights().weight("stable", 80.0, 0, 1, drift_given=True)
    1.1
    >>> ImpactWeights(decay=0.0)
    Traceback (most recent call last):
    ...
    meta254lib.core.errors.ParameterError: weights: decay must be in (0, 1], found 0.0
    """

    maturity: dict[str, float] = field(default_factory=_default_maturity)
    maturity_other: float = 0.7
    quality: float = 0.5
    q_missing: float = 0.5
    drift: float = 0.5
    drift_cap: int = 5
    decay: float = 0.5

    def __post_init__(self) -> None:
        for name in ("maturity_other", "quality", "q_missing", "drift"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0 or math.isnan(v):
                raise ParameterError(f"weights: {name} must be a number ≥ 0, found {v!r}")
        for k, v in self.maturity.items():
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
                raise ParameterError(f"weights: maturity[{k!r}] must be a number ≥ 0, found {v!r}")
        if not (isinstance(self.decay, (int, float)) and 0 < self.decay <= 1):
            raise ParameterError(f"weights: decay must be in (0, 1], found {self.decay!r}")
        if not isinstance(self.drift_cap, int) or isinstance(self.drift_cap, bool) or self.drift_cap < 1:
            raise ParameterError(f"weights: drift_cap must be an integer ≥ 1, found {self.drift_cap!r}")

    def base(self, maturity: str | None, quality: float | None, drift: int | None, *, drift_given: bool) -> float:
        """The weight of one service before the distance decay and the rounding.

        ``weight(..., distance) == round(base(...) * decay ** (distance - 1), 4)``, computed with the same
        floating-point operations, so callers that weigh many distances at once get identical values.

        Examples
        --------
        >>> round(ImpactWeights().base("beta", None, 5, drift_given=True), 4)  # 0.7 × (1 + 0.5·0.5 + 0.5·1)
        1.225
        """
        m = self.maturity.get(maturity, self.maturity_other) if maturity is not None else self.maturity_other
        if quality is None or pd.isna(quality):
            q_risk = self.q_missing
        else:
            q_risk = 1.0 - min(max(float(quality), 0.0), 100.0) / 100.0
        d_risk = min(int(drift or 0), self.drift_cap) / self.drift_cap if drift_given else 0.0
        return m * (1.0 + self.quality * q_risk + self.drift * d_risk)

    def weight(
        self, maturity: str | None, quality: float | None, drift: int | None, distance: int, *, drift_given: bool
    ) -> float:
        """The weighted impact of one service (rounded to 4 decimals)."""
        w = self.base(maturity, quality, drift, drift_given=drift_given) * self.decay ** max(distance - 1, 0)
        return round(w, 4)

    def formula(self) -> str:
        """The formula with the weights written in.

        Examples
        --------
        >>> print(ImpactWeights().formula())  # doctest: +NORMALIZE_WHITESPACE
        weight = M[maturity] × (1 + 0.5·(1 − Q/100) + 0.5·min(D, 5)/5) × 0.5^(distance − 1);
        M: stable 1, beta 0.7, deprecated 0.5, experimental 0.4, other 0.7;
        Q = latest quality score (missing → quality risk 0.5); D = open drift issues (term 0 when not given)
        """
        ms = ", ".join(f"{k} {v:g}" for k, v in sorted(self.maturity.items(), key=lambda kv: (-kv[1], kv[0])))
        return (
            f"weight = M[maturity] × (1 + {self.quality:g}·(1 − Q/100) + {self.drift:g}·min(D, {self.drift_cap})"
            f"/{self.drift_cap}) × {self.decay:g}^(distance − 1); M: {ms}, other {self.maturity_other:g}; "
            f"Q = latest quality score (missing → quality risk {self.q_missing:g}); "
            "D = open drift issues (term 0 when not given)"
        )

    def to_dict(self) -> dict[str, Any]:
        """The weights as a JSON-ready dict."""
        return {
            "maturity": dict(sorted(self.maturity.items())),
            "maturity_other": self.maturity_other,
            "quality": self.quality,
            "q_missing": self.q_missing,
            "drift": self.drift,
            "drift_cap": self.drift_cap,
            "decay": self.decay,
        }


@dataclass(frozen=True)
class SeverityRule:
    """Overall severity from the weighted blast radius ``W``.

    ``none`` when nothing is impacted; otherwise ``critical`` if ``W ≥ critical``, ``high`` if
    ``W ≥ high``, ``medium`` if ``W ≥ medium``, else ``low``.

    Examples
    --------
    >>> SeverityRule().classify(3.6, 4)
    ('high', 'high: weighted blast radius 3.6 ≥ 3 (critical needs ≥ 6)')
    >>> SeverityRule().classify(0.0, 0)[0]
    'none'
    """

    critical: float = 6.0
    high: float = 3.0
    medium: float = 1.0

    def __post_init__(self) -> None:
        if not (0 <= self.medium <= self.high <= self.critical):
            raise ParameterError(
                f"severity thresholds must satisfy 0 ≤ medium ≤ high ≤ critical, found "
                f"{self.medium}, {self.high}, {self.critical}"
            )

    def text(self) -> str:
        """The rule as one sentence."""
        return (
            f"severity by weighted blast radius W: critical if W ≥ {self.critical:g}, high if W ≥ {self.high:g}, "
            f"medium if W ≥ {self.medium:g}, low if W < {self.medium:g}, none if nothing is impacted"
        )

    def classify(self, weighted: float, count: int) -> tuple[str, str]:
        """``(severity, the rule instance that produced it)``."""
        w = round(float(weighted), 4)
        if count == 0:
            return "none", "none: no service is impacted"
        if w >= self.critical:
            return "critical", f"critical: weighted blast radius {w:g} ≥ {self.critical:g}"
        if w >= self.high:
            return "high", f"high: weighted blast radius {w:g} ≥ {self.high:g} (critical needs ≥ {self.critical:g})"
        if w >= self.medium:
            return "medium", f"medium: weighted blast radius {w:g} ≥ {self.medium:g} (high needs ≥ {self.high:g})"
        return "low", f"low: weighted blast radius {w:g} < {self.medium:g}"


class Weigher:
    """The weight of each impacted service, sharing ``base`` and decay factors across services.

    Examples
    --------
    >>> w = Weigher(ImpactWeights(), {"a": 80.0}, None)
    >>> w.inputs("a"), w.weight("stable", *w.inputs("a"), 2)
    ((80.0, None), 0.55)
    """

    def __init__(
        self,
        weights: ImpactWeights,
        quality: pd.Series | Mapping[str, float] | None,
        drift: pd.Series | Mapping[str, int] | None,
    ) -> None:
        self.weights = weights
        self.quality_map = dict(quality.items()) if quality is not None else {}
        self.drift_given = drift is not None
        self.drift_map = dict(drift.items()) if drift is not None else {}
        # weight() is round(base × decay^(distance − 1), 4): the same operations, shared
        self.fast = type(weights).weight is ImpactWeights.weight
        self.base_of: dict[tuple[Any, Any, Any], float] = {}
        self.decay_of: dict[int, float] = {}

    def inputs(self, n: Any) -> tuple[float | None, int | None]:
        """The quality score (None when missing) and drift count (None when not given) of ``n``."""
        q = self.quality_map.get(n)
        if q is not None:
            q = None if (q != q if isinstance(q, float) else pd.isna(q)) else float(q)
        dr = int(self.drift_map.get(n, 0)) if self.drift_given else None
        return q, dr

    def weight(self, maturity: Any, q: float | None, dr: int | None, d: int) -> float:
        """Equal to :meth:`ImpactWeights.weight` of one service at distance ``d``."""
        weights = self.weights
        if not self.fast:
            return weights.weight(maturity, q, dr, d, drift_given=self.drift_given)
        try:
            b = self.base_of.get((maturity, q, dr))
        except TypeError:  # an unhashable maturity
            b = None
        if b is None:
            b = weights.base(maturity, q, dr, drift_given=self.drift_given)
            try:
                self.base_of[(maturity, q, dr)] = b
            except TypeError:
                pass
        f = self.decay_of.get(d)
        if f is None:
            f = self.decay_of[d] = weights.decay ** max(d - 1, 0)
        return round(b * f, 4)

"""Which quality snapshot an analysis at a given as-of uses: the one rule, stated once.

A snapshot is **bound to the catalog it was computed from**: when a snapshot's
``metadata.catalog_timestamp`` equals the catalog's ``generated_at`` and the as-of is not before that
catalog, the newest such snapshot is used, whenever it was written (the platform writes its snapshot
seconds after the catalog, so "at or before the as-of" alone would miss it). Otherwise the newest
snapshot written by the end of the as-of's UTC day is used (:func:`~meta254lib.core.clock.history_cutoff`).
Scores are the implemented model's, recomputed from the snapshot's inputs, as the quality page shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..core.clock import history_cutoff, to_utc
from ..core.columns import SCORE, SERVICE
from .params import ScoringParams
from .scores import latest_scores

__all__ = ["QualitySnapshot", "bind_quality_snapshot"]


@dataclass(frozen=True)
class QualitySnapshot:
    """The quality snapshot an analysis uses, and why.

    Attributes
    ----------
    time : Timestamp or None
        The snapshot's time (``None`` when no snapshot applies).
    rule : str
        ``catalog`` (bound by ``catalog_timestamp``), ``as_of`` (newest by the end of the as-of day) or
        ``none``.
    scores : Series
        service -> implemented score at that snapshot (a service missing from it keeps its own latest
        earlier row); empty when there is none.
    metrics : DataFrame or None
        The latest quality row per service at that snapshot.
    note : str
        One sentence naming the snapshot and the rule, for pages and the CLI.
    """

    time: pd.Timestamp | None
    rule: str
    scores: pd.Series
    metrics: pd.DataFrame | None
    note: str

    @property
    def source(self) -> str:
        """``quality: snapshot of <time> (<rule>)``, the source line pages print."""
        return f"quality: {self.note}"

    def window_end(self, as_of: pd.Timestamp) -> pd.Timestamp:
        """The end of a quality window at ``as_of``: the later of the as-of and the snapshot time.

        Examples
        --------
        >>> q = QualitySnapshot(pd.Timestamp("2025-10-09T22:31Z"), "catalog", pd.Series(dtype=float), None, "")
        >>> q.window_end(pd.Timestamp("2025-10-09T22:30Z")).isoformat()
        '2025-10-09T22:31:00+00:00'
        """
        return max(as_of, self.time) if self.time is not None else as_of


def _bound_time(history: pd.DataFrame, catalog_time: Any, as_of: pd.Timestamp) -> tuple[pd.Timestamp | None, str]:
    """The bound snapshot's time and the rule that chose it."""
    times = history.dropna(subset=["snapshot_time"])
    if catalog_time is not None and "catalog_time" in times.columns and as_of >= to_utc(catalog_time):
        same = times[times["catalog_time"] == to_utc(catalog_time)]
        if len(same):
            return same["snapshot_time"].max(), "catalog"
    earlier = times[times["snapshot_time"] <= history_cutoff(as_of)]
    if len(earlier):
        return earlier["snapshot_time"].max(), "as_of"
    return None, "none"


def bind_quality_snapshot(
    history: pd.DataFrame,
    catalog_time: Any,
    as_of: Any,
    params: ScoringParams | None = None,
) -> QualitySnapshot:
    """The quality snapshot that applies at ``as_of`` for the catalog generated at ``catalog_time``.

    Parameters
    ----------
    history : DataFrame
        :data:`~meta254lib.core.schema.QUALITY_HISTORY` rows.
    catalog_time : timestamp-like or None
        The catalog's ``generated_at``.
    as_of : timestamp-like
    params : ScoringParams, optional

    Returns
    -------
    QualitySnapshot

    Examples
    --------
    >>> h = pd.DataFrame({"service": ["a"], "maturity": ["stable"], "coverage": [0.9],
    ...     "snapshot_time": pd.to_datetime(["2025-10-09T22:31:21Z"]),
    ...     "catalog_time": pd.to_datetime(["2025-10-09T22:30:38Z"])})
    >>> q = bind_quality_snapshot(h, "2025-10-09T22:30:38Z", "2025-10-09T22:30:38Z")
    >>> q.rule, q.scores.to_dict()
    ('catalog', {'a': 98})
    >>> bind_quality_snapshot(h, None, "2025-10-08").rule
    'none'
    """
    when = to_utc(as_of)
    empty = pd.Series([], dtype="float64", name=SCORE, index=pd.Index([], name=SERVICE, dtype=object))
    if history is None or not len(history):
        return QualitySnapshot(None, "none", empty, None, "no quality snapshot in the workspace")
    time, rule = _bound_time(history, catalog_time, when)
    if time is None:
        first = history["snapshot_time"].min()
        note = f"no quality snapshot by the end of the as-of day (the earliest is {first.isoformat()})"
        return QualitySnapshot(None, "none", empty, None, note)
    scores = latest_scores(history, "implemented", params, as_of=time)
    rows = history[history["snapshot_time"] <= time].sort_values(["snapshot_time", SERVICE], kind="stable")
    metrics = rows.drop_duplicates(SERVICE, keep="last").reset_index(drop=True)
    why = "computed from this catalog" if rule == "catalog" else "the newest by the end of the as-of day"
    note = f"snapshot of {time.isoformat()} ({why})"
    return QualitySnapshot(time, rule, scores.set_index(SERVICE)[SCORE], metrics, note)

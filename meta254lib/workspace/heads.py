"""The heads of a workspace's history: the newest quality snapshot and drift report, and every artifact time.

What an analysis "as of" the newest data needs from the quality and drift history, at a fraction of
the cost of the full tables (see :meth:`Workspace.history_heads
<meta254lib.workspace.workspace.Workspace.history_heads>`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..core import schema as S

__all__ = ["HistoryHeads", "heads_of", "history_heads_from"]


@dataclass(frozen=True)
class HistoryHeads:
    """The newest quality snapshot and drift report of a workspace, and when every other one was written.

    What an analysis "as of" the newest data needs from the quality and drift history, at a
    fraction of the cost of the full tables (see :meth:`Workspace.history_heads`).

    Attributes
    ----------
    quality : DataFrame
        ``snapshot_time, service, score``: the rows of the newest snapshot of
        :attr:`Workspace.quality_history`, in that table's order (empty when there is none).
    snapshot_times : tuple of Timestamp
        Every distinct snapshot time of :attr:`Workspace.quality_history`, oldest first.
    drift_counts : DataFrame
        ``service, issues``: the issues of the newest report of :attr:`Workspace.drift_history` not
        marked exempt, per service, sorted by service (a service with only exempt issues is absent).
    report_times : tuple of Timestamp
        Every distinct report time of :attr:`Workspace.drift_history`, oldest first (a report with
        no issue has no rows there, so it is not listed).
    """

    quality: pd.DataFrame
    snapshot_times: tuple[pd.Timestamp, ...]
    drift_counts: pd.DataFrame
    report_times: tuple[pd.Timestamp, ...]


def heads_of(quality_history: pd.DataFrame, drift_history: pd.DataFrame) -> dict[str, Any]:
    """The parts of :class:`HistoryHeads` (times as lists) from the full history tables.

    The dict form is what the warm-load cache stores (see :func:`history_heads_from`).
    """
    qh = quality_history
    times = qh["snapshot_time"].dropna().drop_duplicates().sort_values().tolist()
    cols = ["snapshot_time", S.SERVICE, S.SCORE]
    newest_q = qh.loc[qh["snapshot_time"] == times[-1], cols] if times else qh[cols].iloc[:0]
    dh = drift_history
    reports = dh["report_time"].dropna().drop_duplicates().sort_values().tolist()
    newest_d = dh[dh["report_time"] == reports[-1]] if reports else dh.iloc[:0]
    newest_d = newest_d[~newest_d["exempt"].astype("boolean").fillna(False).astype(bool)]
    counts = newest_d.groupby(newest_d[S.SERVICE].astype(object)).size().sort_index()
    return {
        "quality": newest_q.reset_index(drop=True),
        "snapshot_times": times,
        "drift_counts": pd.DataFrame(
            {
                S.SERVICE: pd.Series(counts.index.tolist(), dtype="str"),
                "issues": pd.Series(counts.to_numpy(), dtype="int64"),
            }
        ),
        "report_times": reports,
    }


def history_heads_from(parts: dict[str, Any]) -> HistoryHeads:
    """A :class:`HistoryHeads` from the dict of :func:`heads_of`."""
    return HistoryHeads(
        quality=parts["quality"],
        snapshot_times=tuple(parts["snapshot_times"]),
        drift_counts=parts["drift_counts"],
        report_times=tuple(parts["report_times"]),
    )

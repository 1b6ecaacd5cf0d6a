"""The drift-history frame: every row of every report, built column by column from distinct values.

A year of weekly reports at fleet scale is a million rows of fifteen text columns, almost all of it
repeated values; the rows are held as codes into what is distinct (:class:`DriftColumns`), and each
column is an Arrow ``take`` of its distinct values. Those takes release the GIL, and most of their
time is the kernel mapping fresh memory for the result, so independent columns are built side by
side (:func:`~meta254lib.workspace.column_jobs.run_jobs`).

Examples
--------
>>> from meta254lib.workspace.history_files import drift_report_columns
>>> cols = DriftColumns()
>>> _ = drift_report_columns({"metadata": {"generated_at": "2025-10-10"}, "issues": [
...     {"type": "spec_lag", "severity": "low", "service": "b, a"}]}, "r.json", [], into=cols)
>>> drift_frame(cols)[["source_issue", "service", "severity"]].values.tolist()
[['r.json#0', 'a', 'low'], ['r.json#0', 'b', 'low']]
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core import schema as S
from ..core.columns import UTC_TS
from .column_jobs import run_jobs
from .history_files import RECORD_COLUMNS, DriftColumns

__all__ = [
    "drift_frame",
    "position_ranks",
    "ranks",
    "source_issues",
    "take_text",
    "take_values",
    "text_column",
    "text_ranks",
]


def text_column(values: list[Any]) -> pd.Series:
    """A ``str`` column of texts and ``None``; through Arrow directly (2-3x faster), else as pandas converts it.

    Examples
    --------
    >>> text_column(["a", None]).equals(pd.Series(["a", None], dtype="str")), text_column([1]).tolist()
    (True, ['1'])
    """
    try:
        return pd.Series(pa.array(values, type=pa.large_string()), dtype="str")
    except (pa.ArrowException, UnicodeError):  # not all text (pandas converts it), or unencodable
        return pd.Series(values, dtype="str")


def take_text(values: list[Any], codes: np.ndarray) -> pd.Series:
    """The ``str`` column ``values[codes]`` (each distinct value converted once).

    Examples
    --------
    >>> take_text(["a", None], np.array([1, 0, 0])).tolist()
    [nan, 'a', 'a']
    """
    try:
        distinct = pa.array(values, type=pa.large_string())
    except (pa.ArrowException, UnicodeError):
        return text_column([values[k] for k in codes.tolist()])
    return pd.Series(distinct.take(pa.array(codes)), dtype="str")


def take_values(values: list[Any], dtype: str, codes: np.ndarray) -> pd.Series:
    """The column ``values[codes]`` of ``dtype``, each distinct value converted as pandas converts it.

    Examples
    --------
    >>> take_values([True, None], "boolean", np.array([1, 0, 0])).tolist()
    [<NA>, True, True]
    """
    return pd.Series(values, dtype=object).astype(dtype).take(codes).reset_index(drop=True)


def ranks(values: list[str]) -> np.ndarray:
    """The rank of each text among the distinct ones, in code-point order (the order pandas sorts ``str`` by).

    Examples
    --------
    >>> ranks(["b#10", "b#2", "a", "b#10"]).tolist()
    [1, 2, 0, 1]
    """
    rank = {v: k for k, v in enumerate(sorted(set(values)))}
    return np.array(list(map(rank.__getitem__, values)), dtype=np.int64)


def text_ranks(texts: pd.Series | pa.Array | pa.ChunkedArray) -> np.ndarray:
    """:func:`ranks` of a ``str`` column without missing values, by Arrow (UTF-8 byte order is code-point order).

    Examples
    --------
    >>> text_ranks(text_column(["b#10", "b#2", "a", "b#10"])).tolist()
    [1, 2, 0, 1]
    """
    arrow = texts if isinstance(texts, (pa.Array, pa.ChunkedArray)) else pa.chunked_array(pa.array(texts.array))
    got = pc.rank(arrow, sort_keys="ascending", tiebreaker="dense")
    return got.to_numpy().astype(np.int64) - 1


def position_ranks(positions: list[int] | np.ndarray) -> np.ndarray:
    """Per issue, the rank of ``"#<position>"`` among such texts: how ``source_issue`` sorts within a report.

    Examples
    --------
    >>> position_ranks([0, 1, 2, 10]).tolist()
    [0, 1, 3, 2]
    """
    pos = np.asarray(positions, dtype=np.int64)
    top = int(pos.max()) + 1 if len(pos) else 0
    rank = np.empty(top, dtype=np.int64)
    rank[sorted(range(top), key=str)] = np.arange(top)
    return rank[pos]


def source_issues(names: pa.Array, positions: np.ndarray) -> pa.Array:
    """The texts ``"<report>#<position>"`` of each row, joined by Arrow (no Python string per row).

    Examples
    --------
    >>> source_issues(pa.array(["r.json", "r.json"], pa.large_string()), np.array([0, 12])).to_pylist()
    ['r.json#0', 'r.json#12']
    """
    texts = pc.cast(pa.array(positions, type=pa.int64()), pa.large_string())
    return pc.binary_join_element_wise(names, texts, pa.scalar("#", pa.large_string()))


def _times(reports: list[tuple[str, str, pd.Timestamp, int, int]]) -> pd.Series:
    """The time of each report, as the ``report_time`` column holds it."""
    return pd.to_datetime(
        pd.Series([r[2] for r in reports], dtype=object), utc=True, errors="coerce", format="mixed"
    ).astype(UTC_TS)


def drift_frame(cols: DriftColumns) -> pd.DataFrame:
    """The drift-history frame of ``cols``, sorted stably by report time, report, source issue and service.

    Rows are expanded from occurrences with integer arrays (an occurrence of issue ``code`` gives the
    rows ``first[code]`` .. ``first[code] + count[code]`` of the issues' services and ids). The order
    is computed once on integer keys (``numpy.lexsort``, the row position last so that ties keep the
    reading order, as ``sort_values(kind="stable")`` does), and every column is built directly in
    that order from its distinct values.
    """
    reports = [r for r in cols.reports if r[3]]
    occ_code = np.asarray(cols.occurrences, dtype=np.int64)
    count = np.asarray(cols.count, dtype=np.int64)[occ_code]
    row_occ = np.repeat(np.arange(len(occ_code)), count)
    row_flat = np.asarray(cols.first, dtype=np.int64)[occ_code][row_occ] + (
        np.arange(len(row_occ)) - (np.cumsum(count) - count)[row_occ]
    )
    run = np.repeat(np.arange(len(reports)), [r[4] for r in reports])[row_occ]
    times = _times(reports)
    services = sorted(set(cols.services))
    service_code = ranks(cols.services)[row_flat]
    positions = np.asarray(cols.positions, dtype=np.int64)[row_occ]
    order = np.lexsort(
        (
            np.arange(len(run)),
            service_code,
            position_ranks(positions),  # "<report>#<i>", within one report
            ranks([r[0] for r in reports])[run],
            times.array.asi8[run],
        )
    )
    run, record = run[order], occ_code[row_occ[order]]
    names = pa.array([r[0] for r in reports], type=pa.large_string()).take(pa.array(run))
    jobs: dict[str, Callable[[], pd.Series]] = {
        "report": partial(pd.Series, names, dtype="str"),
        "report_time": lambda: times.take(run).reset_index(drop=True),
        "source": partial(take_text, [r[1] for r in reports], run),
        "source_issue": lambda: pd.Series(source_issues(names, positions[order]), dtype="str"),
        "issue_id": partial(take_text, cols.ids, row_flat[order]),
        S.SERVICE: partial(take_text, services, service_code[order]),
    }
    for j, col in enumerate(RECORD_COLUMNS):
        values = [rec[j] for rec in cols.records]
        dtype = S.DRIFT_HISTORY.dtypes[col]
        jobs[col] = (
            partial(take_text, values, record) if dtype == "str" else partial(take_values, values, dtype, record)
        )
    out = run_jobs(jobs)  # the takes release the GIL: columns are built side by side
    return pd.DataFrame({c: out[c] for c in S.DRIFT_HISTORY.columns})

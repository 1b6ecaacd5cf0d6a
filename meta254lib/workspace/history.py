"""The workspace's history tables: every issue of every drift report, every service of every quality snapshot.

Each report is parsed by :mod:`meta254lib.workspace.history_files`, each snapshot by
:mod:`meta254lib.workspace.history_snapshots`; the latest copies the platform writes beside the archive
(``latest_drift_report.json``, ``latest_quality_snapshot.json``) join the history only when they are
not a copy of an archived file.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..core import schema as S
from ..core.columns import UTC_TS
from ..core.errors import InputError
from ..core.tableschema import TableSchema
from .coerce import parse_timestamp, timestamp_from_filename
from .column_jobs import run_jobs
from .files import WorkspaceFiles
from .history_drift import drift_frame, take_text, text_column, text_ranks
from .history_files import DriftColumns, HistoryMemo, drift_report_columns
from .history_snapshots import snapshot_catalog_time, snapshot_columns
from .read_ahead import ReadAhead

__all__ = [
    "LATEST_DRIFT_REPORT",
    "compact",
    "drift_history_table",
    "quality_history_table",
    "with_catalog_maturity",
]

#: The platform's copy of its newest drift report.
LATEST_DRIFT_REPORT = "analysis/reports/drift/latest_drift_report.json"


def compact(df: pd.DataFrame) -> pd.DataFrame:
    """The same frame with each text column's repeated values sharing one string object.

    Parsed JSON gives every occurrence of ``"medium"`` its own string; a year of weekly reports at
    fleet scale is millions of them. Sharing them changes no value and divides the memory by ~5.

    Examples
    --------
    >>> df = pd.DataFrame({"s": pd.Series(["a", None, "a"], dtype="str")})
    >>> compact(df).equals(df)
    True
    """
    out = {}
    for col in df.columns:
        s = df[col]
        if isinstance(s.dtype, pd.StringDtype):
            codes, uniques = pd.factorize(s, use_na_sentinel=True)
            table = np.empty(len(uniques) + 1, dtype=object)
            table[: len(uniques)] = np.asarray(uniques, dtype=object)
            table[-1] = s.dtype.na_value
            s = pd.Series(pd.array(table.take(codes), dtype=s.dtype), name=col, index=df.index)
        out[col] = s
    return pd.DataFrame(out, index=df.index)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a history is read (restored afterwards).

    Parsing a year of reports creates millions of small objects that all stay alive; each full
    collection would walk every one of them again. Nothing read here makes reference cycles.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _digest(io: WorkspaceFiles, path: Path) -> str:
    """SHA-256 of a file's bytes (``""`` when it cannot be read)."""
    try:
        return hashlib.sha256(io.read_raw(path)).hexdigest()
    except InputError:
        return ""


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _copy_among(io: WorkspaceFiles, path: Path, earlier: list[Path], *, unreadable_match: bool) -> bool:
    """Whether ``path`` has the bytes of one of ``earlier`` (by SHA-256, only of files of the same size).

    With ``unreadable_match``, a file that cannot be read matches another that cannot be read
    (both digests are ``""``), as the histories have always compared them.
    """
    digest = _digest(io, path)
    if not digest and not unreadable_match:
        return False
    size = _size(path) if digest else None
    return any((size is None or _size(p) in (size, None)) and _digest(io, p) == digest for p in earlier)


def _drift_reports(io: WorkspaceFiles) -> list[Path]:
    """The archived drift reports, then the latest report unless it is a byte copy of one (recorded, not read)."""
    paths = io.find("drift_reports")
    latest = io.root / LATEST_DRIFT_REPORT
    candidates = list(paths)
    if latest.is_file() and io.inside(latest):
        rel = io.rel(latest)
        if _copy_among(io, latest, paths, unreadable_match=False):
            io.record(rel, "drift_reports")
            io.note(rel, "a copy of an archived report; not counted twice")
        else:
            candidates.append(latest)
    return candidates


def _times(runs: list[tuple[Any, int]]) -> pd.Series:
    """A ``datetime64[us, UTC]`` column from runs of (time or None, row count).

    Each distinct time is converted once, exactly as :func:`~meta254lib.core.tableschema.frame_from_records`
    converts it, and repeated over its rows.
    """
    distinct = pd.to_datetime(
        pd.Series([t for t, _ in runs], dtype=object), utc=True, errors="coerce", format="mixed"
    ).astype(UTC_TS)
    return distinct.repeat([n for _, n in runs]).reset_index(drop=True)


#: The Arrow type of each column dtype a clean snapshot column is converted to directly.
_ARROW = {"str": pa.large_string(), "Float64": pa.float64(), "Int64": pa.int64(), "boolean": pa.bool_()}


def _column(values: list[Any], dtype: str, clean: bool) -> pa.Array | pd.Series:
    """One snapshot's part of a column: an Arrow array when ``clean`` (its values are known to be of the
    dtype's Python types, see :func:`~meta254lib.workspace.history_snapshots.snapshot_columns`), else the
    column :func:`~meta254lib.workspace.history_drift.text_column` or :func:`_masked` gives (which check them).

    A clean number or boolean column without missing values goes straight to numpy (2.5x faster).

    Examples
    --------
    >>> _column([1, None], "Int64", True).to_pylist(), _column([1, None], "Int64", False).tolist()
    ([1, None], [1, <NA>])
    >>> _column([1, 0.5, None], "Float64", True).tolist(), _column([True, False], "boolean", True).dtype
    ([1.0, 0.5, <NA>], BooleanDtype)
    """
    if clean and dtype in _NUMPY:
        got = _clean_masked(values, dtype)
        if got is not None:
            return got
    if clean and dtype in _ARROW:
        try:
            return pa.array(values, type=_ARROW[dtype])
        except (pa.ArrowException, UnicodeError, OverflowError):  # e.g. a lone surrogate: as pandas converts it
            pass
    return text_column(values) if dtype == "str" else _masked(values, dtype)


#: The numpy type clean values of a masked dtype are read as (booleans as 0/1, which refuses ``None``).
_NUMPY = {"Float64": np.float64, "Int64": np.int64, "boolean": np.int8}


def _clean_masked(values: list[Any], dtype: str) -> pd.Series | None:
    """The ``Float64``/``Int64``/``boolean`` column of clean ``values`` (see :func:`_column`) through numpy;
    ``None`` when integers or booleans include a ``None`` (numpy refuses it).

    Clean numbers are finite and never NaN, so a NaN numpy gives for a float column is a ``None``:
    the mask. Under the mask a float column holds NaN, as the conversion from Arrow leaves it.

    Examples
    --------
    >>> _clean_masked([2, None], "Float64").array._data.tolist(), _clean_masked([2, None], "Int64")
    ([2.0, nan], None)
    """
    try:
        data = np.array(values, dtype=_NUMPY[dtype])
    except (TypeError, ValueError, OverflowError):
        return None
    if dtype == "Float64":
        return pd.Series(pd.arrays.FloatingArray(data, np.isnan(data)))
    mask = np.zeros(len(data), dtype=bool)
    return pd.Series(
        pd.arrays.IntegerArray(data, mask) if dtype == "Int64" else pd.arrays.BooleanArray(data.view(bool), mask)
    )


def _concat(parts: list[pa.Array | pd.Series], dtype: str) -> pd.Series:
    """The parts of a column (see :func:`_column`), one after the other, as one column of ``dtype``
    (through Arrow when every part is an Arrow array or text).

    Examples
    --------
    >>> _concat([text_column(["a"]), _column([None, "b"], "str", True)], "str").tolist()
    ['a', nan, 'b']
    >>> _concat([_column([1], "Int64", True), _masked([None], "Int64")], "Int64").tolist()
    [1, <NA>]
    """
    arrow = all(isinstance(p, pa.Array) for p in parts)
    if arrow or dtype == "str":
        chunks = [
            c for p in parts for c in ([p] if isinstance(p, pa.Array) else pa.chunked_array(pa.array(p.array)).chunks)
        ]
        return pd.Series(pa.concat_arrays(chunks) if chunks else pa.array([], _ARROW.get(dtype)), dtype=dtype)
    arrays = [(p if isinstance(p, pd.Series) else pd.Series(p, dtype=dtype)).array for p in parts]
    return pd.Series(type(arrays[0])._concat_same_type(arrays))  # the ExtensionArray way: one copy


def _frame(
    schema: TableSchema, parts: Mapping[str, list[pa.Array | pd.Series]], runs: Mapping[str, list[tuple[Any, int]]]
) -> pd.DataFrame:
    """One frame of the schema from the parts of each column (see :func:`_column`) and ``runs`` of
    (value, row count) for the time columns and the other columns whose value is the same for every
    row of a snapshot; dtypes as :func:`~meta254lib.core.tableschema.frame_from_records` gives them."""
    jobs: dict[str, Callable[[], pd.Series]] = {}
    for col, dtype, _ in schema.spec:
        if col in runs and dtype == "str":
            names = [v for v, _ in runs[col]]
            jobs[col] = partial(take_text, names, np.repeat(np.arange(len(names)), [n for _, n in runs[col]]))
        elif col in runs:
            jobs[col] = partial(_times, runs[col])
        else:
            jobs[col] = partial(_concat, parts[col], dtype)
    return pd.DataFrame(run_jobs(jobs))  # Arrow's concatenations release the GIL: side by side


_NONE = type(None)
#: Masked dtypes built through Arrow: the Arrow type, and the Python types a column may hold.
_MASKED = {
    "Float64": (pa.float64(), {float, int, _NONE}),
    "Int64": (pa.int64(), {int, _NONE}),
    "boolean": (pa.bool_(), {bool, _NONE}),
}


def _masked(values: list[Any], dtype: str) -> pd.Series:
    """A ``Float64``/``Int64``/``boolean`` column, through Arrow when ``values`` are all of the dtype's
    Python types (3-5x faster), else as ``Series(values, dtype=object).astype(dtype)``.

    Examples
    --------
    >>> _masked([1, None, 0.5], "Float64").equals(pd.Series([1, None, 0.5], dtype=object).astype("Float64"))
    True
    """
    arrow, types = _MASKED.get(dtype, (None, set()))
    if arrow is not None and set(map(type, values)) <= types:
        try:
            return pd.Series(pa.array(values, type=arrow, from_pandas=True), dtype=dtype)
        except (pa.ArrowException, OverflowError):  # e.g. an integer a float cannot hold exactly
            pass
    return pd.Series(values, dtype=object).astype(dtype)


def drift_history_table(io: WorkspaceFiles, aliases: Callable[[], Mapping[str, str]]) -> pd.DataFrame:
    """Every issue of every drift report (schema :data:`~meta254lib.core.schema.DRIFT_HISTORY`).

    ``latest_drift_report.json`` is read only when it is not a byte copy of an archived report.
    ``aliases`` gives the external dependency aliases; it is called when the first report is parsed
    (so the rules file is read at that point, as it always was). The rows of every report are
    gathered column by column and become one frame in one construction.
    """
    with _gc_paused():
        return _drift_history(io, aliases)


def _drift_history(io: WorkspaceFiles, aliases: Callable[[], Mapping[str, str]]) -> pd.DataFrame:
    cols = DriftColumns()
    memo = HistoryMemo()
    reports = _drift_reports(io)
    with io.read_ahead(reports) as ahead:
        for path in reports:
            got = _drift_report(io, path, ahead, cols, memo, aliases)
            if got is not None:
                io.rows[io.rel(path)] = got
    if not len(cols):
        return S.empty_frame(S.DRIFT_HISTORY)
    return drift_frame(cols)


def _drift_report(
    io: WorkspaceFiles,
    path: Path,
    ahead: ReadAhead,
    cols: DriftColumns,
    memo: HistoryMemo,
    aliases: Callable[[], Mapping[str, str]],
) -> int | None:
    """Read one drift report into ``cols``: its rows, ``None`` when it is unusable (warned)."""
    rel = io.rel(path)
    doc = io.load(path, "drift_reports", ahead)
    if doc is None:
        return None
    try:
        got = drift_report_columns(
            doc,
            rel,
            io.warnings,
            into=cols,
            report_time=timestamp_from_filename(path.name),
            aliases=aliases(),
            memo=memo,
        )
    except InputError as err:
        io.warn(rel, err.field, str(err))
        return None
    meta = doc.get("metadata") if isinstance(doc, dict) and isinstance(doc.get("metadata"), dict) else {}
    io.stamp(rel, parse_timestamp(meta.get("generated_at")) or timestamp_from_filename(path.name))
    return got


def _read_snapshot(
    io: WorkspaceFiles, path: Path, is_latest: bool, ahead: ReadAhead | None = None
) -> tuple[pd.Timestamp | None, dict[str, list[Any]], bool, pd.Timestamp | None] | None:
    """The time, columns, whether they are clean (see :func:`_column`) and catalog time of one quality
    snapshot; ``None`` when it is unusable (warned)."""
    rel = io.rel(path)
    doc = io.load(path, "quality_history" if not is_latest else "latest_quality", ahead)
    if doc is None:
        return None
    try:
        when, cols, clean = snapshot_columns(doc, rel, io.warnings, snapshot_time=timestamp_from_filename(path.name))
    except InputError as err:
        io.warn(rel, err.field, str(err))
        return None
    return when, cols, clean, snapshot_catalog_time(doc)


def _warn_shapes(io: WorkspaceFiles, shapes: dict[str, tuple[pd.Timestamp, list[str]]]) -> None:
    """Warn about each snapshot whose shape differs from the newest snapshot's."""
    if len({tuple(v) for _, v in shapes.values()}) <= 1:
        return
    newest_rel = max(shapes, key=lambda r: (shapes[r][0], r))
    newest = "/".join(shapes[newest_rel][1])
    for rel, (_, shape) in sorted(shapes.items()):
        if "/".join(shape) != newest:
            io.warn(
                rel,
                "services",
                f"shape {'/'.join(shape)!r} differs from the newest snapshot's shape {newest!r} "
                f"({newest_rel}); metrics that shape lacks are unknown for that week",
            )


def with_catalog_maturity(df: pd.DataFrame, services: pd.DataFrame) -> pd.DataFrame:
    """The quality history with the catalog's maturity (from ``services``) where a snapshot recorded none."""
    missing = df[S.MATURITY].isna()
    if not missing.any():
        return df
    maturity = dict(zip(services[S.SERVICE], services[S.MATURITY], strict=True))
    return df.assign(**{S.MATURITY: df[S.MATURITY].where(~missing, df[S.SERVICE].map(maturity)).astype("str")})


def quality_history_table(io: WorkspaceFiles) -> pd.DataFrame:
    """Every service of every quality snapshot (schema :data:`~meta254lib.core.schema.QUALITY_HISTORY`).

    ``catalog/latest_quality_snapshot.json`` joins the history unless a historical snapshot has the
    same bytes or the same snapshot time. A snapshot without maturity leaves it missing (see
    :func:`with_catalog_maturity`). The snapshots are gathered column by column into one frame.
    """
    with _gc_paused():
        return _quality_history(io)


def _quality_history(io: WorkspaceFiles) -> pd.DataFrame:
    parts: dict[str, list[pa.Array | pd.Series]] = {}  # each snapshot's columns, converted as it is read
    runs: dict[str, list[tuple[Any, int]]] = {"snapshot": [], "snapshot_time": [], "catalog_time": []}
    shapes: dict[str, tuple[pd.Timestamp, list[str]]] = {}
    seen_times: set[pd.Timestamp] = set()
    seen: list[Path] = []
    paths = io.find("quality_history")
    latest = io.find("latest_quality")
    with io.read_ahead(paths) as ahead:  # the next snapshots are read and hashed while this one parses
        for path in paths + latest:
            rel = io.rel(path)
            if path in latest and _copy_among(io, path, seen, unreadable_match=True):
                io.record(rel, "latest_quality")
                io.note(rel, "a copy of a historical snapshot; not counted twice")
                continue
            seen.append(path)
            got = _read_snapshot(io, path, path in latest, ahead)
            if got is None:
                continue
            when, cols, clean, catalog_time = got
            n = len(cols.get(S.SERVICE, ()))
            when = when if n else None
            if when is not None:
                io.stamp(rel, when)
            if path in latest and when in seen_times:
                io.note(rel, "same snapshot time as a historical snapshot; not counted twice")
                continue
            if when is not None:
                seen_times.add(when)
            io.rows[rel] = n
            if n:
                for col, values in cols.items():
                    if col != "snapshot":  # the same for every row of a snapshot: a run
                        parts.setdefault(col, []).append(_column(values, S.QUALITY_HISTORY.dtypes[col], clean))
                runs["snapshot"].append((cols["snapshot"][0], n))
                runs["snapshot_time"].append((when, n))
                runs["catalog_time"].append((catalog_time, n))
                shapes[rel] = (when, sorted(set(cols["shape"])))
    _warn_shapes(io, shapes)
    if not parts:
        return S.empty_frame(S.QUALITY_HISTORY)
    df = _frame(S.QUALITY_HISTORY, parts, runs)
    when = df["snapshot_time"]
    if when.isna().any():
        return df.sort_values(["snapshot_time", S.SERVICE], kind="stable").reset_index(drop=True)
    order = np.lexsort((np.arange(len(df)), text_ranks(df[S.SERVICE]), when.array.asi8))  # as a stable sort
    if np.array_equal(order, np.arange(len(df))):
        return df  # already in order (snapshots are usually written sorted by service)
    return df.take(order).reset_index(drop=True)

"""The drift and quality history as a Parquet dataset, hive-partitioned by ISO week, for fleet-wide queries.

:func:`export_history_parquet` writes two datasets under one folder::

    OUT/_meta.json                                    workspace, as-of, scope, row counts per week
    OUT/drift_issues/week=2025-W41/part-0.parquet     rows of ws.drift_history, by week of report_time
    OUT/quality_scores/week=2025-W41/part-0.parquet   rows of ws.quality_history, by week of snapshot_time

DuckDB, Spark, Trino and ``pyarrow.dataset`` read each dataset folder as-is (``week`` is the partition
column, taken from the folder name; it is not stored in the files). Column names and meaning are those of
:data:`~meta254lib.core.schema.DRIFT_HISTORY` and :data:`~meta254lib.core.schema.QUALITY_HISTORY`; types
are plain Arrow types: text ``string``, times ``timestamp[us, UTC]``, counts ``int64``, scores and rates
``double``, flags ``bool`` (nulls where the input has none). A list column (none today) would be written
as ``list<string>``. No pandas metadata and no index column are stored, so every engine sees the same
schema. Rows with no time go to ``week=__HIVE_DEFAULT_PARTITION__``, the hive name for a null partition.

The output is deterministic: rows sorted by time, source file and service, a fixed row-group size and
fixed compression, and no wall-clock time anywhere, so two exports of the same workspace with the same
pyarrow are byte-identical. The folder is built next to ``OUT`` under a hidden name and renamed into
place, so a reader never sees half an export.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..core.atomic import ensure_folder, output_errors, write_atomic
from ..core.columns import SERVICE, UTC_TS
from ..core.errors import OutputError, ParameterError
from ..core.schema import DRIFT_HISTORY, QUALITY_HISTORY
from ..core.tableschema import TableSchema
from ..workspace.scope_inventory import selected_services
from ..workspace.workspace import Workspace
from .asof import iso_week

__all__ = [
    "COMPRESSION",
    "DATASETS",
    "META_FILE",
    "NULL_PARTITION",
    "PARTITION",
    "ROW_GROUP_ROWS",
    "arrow_schema",
    "export_history_parquet",
]

#: The partition column (a folder level ``week=YYYY-Www``).
PARTITION = "week"
#: The hive name of the partition of rows without a time.
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
#: Rows per Parquet row group (fixed, so the files do not depend on the machine).
ROW_GROUP_ROWS = 131_072
#: Parquet compression: zstd, a quarter smaller than snappy on the history at the same speed; every engine reads it.
COMPRESSION = "zstd"
#: The file naming the workspace, the as-of and the row counts.
META_FILE = "_meta.json"
#: Export version (bumped when the layout or the types change).
EXPORT_VERSION = 1

#: dataset name -> (source table schema, workspace attribute, time column, sort keys after the time)
DATASETS: dict[str, tuple[TableSchema, str, str, tuple[str, ...]]] = {
    "drift_issues": (DRIFT_HISTORY, "drift_history", "report_time", ("report", SERVICE, "issue_id", "source_issue")),
    "quality_scores": (QUALITY_HISTORY, "quality_history", "snapshot_time", ("snapshot", SERVICE, "shape")),
}

_ARROW_TYPES: dict[str, pa.DataType] = {
    "str": pa.string(),
    UTC_TS: pa.timestamp("us", tz="UTC"),
    "bool": pa.bool_(),
    "boolean": pa.bool_(),
    "int64": pa.int64(),
    "Int64": pa.int64(),
    "float64": pa.float64(),
    "Float64": pa.float64(),
    "object": pa.list_(pa.string()),
}


def arrow_schema(schema: TableSchema) -> pa.Schema:
    """The Arrow schema a table is exported with: the table's columns, in order, as plain Arrow types.

    Examples
    --------
    >>> s = arrow_schema(QUALITY_HISTORY)
    >>> str(s.field("snapshot_time").type), str(s.field("critical_vulns").type), str(s.field("service").type)
    ('timestamp[us, tz=UTC]', 'int64', 'string')
    """
    return pa.schema([pa.field(c, _ARROW_TYPES[d]) for c, d, _ in schema.spec])


def _week_labels(times: pd.Series) -> np.ndarray:
    """The ISO week label of every time (the null partition for NaT), computed once per distinct time."""
    codes, uniques = pd.factorize(times, use_na_sentinel=True)
    labels = np.array([iso_week(t) for t in uniques] + [NULL_PARTITION], dtype=object)
    return labels[codes]  # the sentinel -1 picks the last label


def _list_cells(values: pd.Series) -> list[list[str] | None]:
    return [None if v is None or v is pd.NA else [str(x) for x in v] for v in values]


def _export_order(frame: pd.DataFrame, time_col: str, keys: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The row positions in export order (time, then ``keys``; no time last) and their week labels."""
    cols = [time_col, *keys]
    key_table = pa.Table.from_pandas(frame[cols], preserve_index=False)
    order = pc.sort_indices(key_table, sort_keys=[(c, "ascending", "at_end") for c in cols]).to_numpy()
    return order, _week_labels(frame[time_col])[order]


def _arrow_table(frame: pd.DataFrame, schema: TableSchema) -> pa.Table:
    """Rows of a history table as Arrow, with exactly the export schema and no pandas metadata or index."""
    frame = frame.reindex(columns=list(schema.columns))
    for col, dtype, _ in schema.spec:
        if dtype == "object":
            frame[col] = _list_cells(frame[col])
    return pa.Table.from_pandas(frame, schema=arrow_schema(schema), preserve_index=False).replace_schema_metadata(None)


def _write_parquet(table: pa.Table, path: Path) -> int:
    """Write one partition file (synced to disk); its size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        pq.write_table(
            table,
            fh,
            row_group_size=ROW_GROUP_ROWS,
            compression=COMPRESSION,
            use_dictionary=True,
            write_statistics=True,
        )
        fh.flush()
        os.fsync(fh.fileno())
    return path.stat().st_size


def _write_dataset(frame: pd.DataFrame, name: str, folder: Path) -> dict[str, Any]:
    """Write one dataset's partitions under ``folder``; rows, bytes and rows per partition."""
    schema, _, time_col, keys = DATASETS[name]
    order, weeks = _export_order(frame, time_col, keys)
    partitions: dict[str, int] = {}
    size = 0
    starts = np.flatnonzero(np.r_[True, weeks[1:] != weeks[:-1]]).tolist() if len(weeks) else []
    for start, end in zip(starts, [*starts[1:], len(weeks)][: len(starts)], strict=True):
        week = str(weeks[start])
        table = _arrow_table(frame.take(order[start:end]), schema)
        size += _write_parquet(table, folder / name / f"{PARTITION}={week}" / "part-0.parquet")
        partitions[week] = end - start
    return {
        "rows": len(frame),
        "bytes": size,
        "time_column": time_col,
        "partitions": partitions,
        "columns": {f.name: str(f.type) for f in arrow_schema(schema)},
    }


def _check_target(out: Path, ws: Workspace, force: bool) -> None:
    """Refuse a file, a non-empty folder without ``force``, and a folder holding the workspace."""
    if out.exists() and not out.is_dir():
        raise OutputError(str(out), "exists and is not a folder")
    if ws.root == out or ws.root.is_relative_to(out):
        raise OutputError(str(out), "it holds the workspace being exported; choose another --out")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise OutputError(str(out), "folder is not empty (pass --force to replace it)")


def _publish(tmp: Path, out: Path) -> None:
    """Rename the finished folder ``tmp`` to ``out``; a non-empty ``out`` is moved aside, then removed."""
    with output_errors(out):
        if out.is_dir() and any(out.iterdir()):
            old = out.with_name(f".{out.name}.{secrets.token_hex(4)}.old")
            os.rename(out, old)
            os.rename(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)  # replaces an empty folder (POSIX rename)


def _as_of(ws: Workspace) -> str | None:
    try:
        return ws.resolve_as_of(None).isoformat()
    except ParameterError:
        return None


def export_history_parquet(
    ws: Workspace,
    out: str | os.PathLike[str],
    *,
    team: str | None = None,
    domain: str | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Export the drift and quality history as a Parquet dataset partitioned by ISO week.

    Parameters
    ----------
    ws : Workspace
        The workspace whose :attr:`~Workspace.drift_history` and :attr:`~Workspace.quality_history`
        are exported (every row, whatever the as-of).
    out : path
        The folder to write: absent or empty, or any folder with ``force``. Its parent is created.
    team, domain : str, optional
        Only the rows of this team's / domain's catalog services (names checked, case-insensitive).
    force : bool
        Replace ``out`` when it is not empty.

    Returns
    -------
    dict
        What ``OUT/_meta.json`` holds: ``workspace``, ``as_of``, ``team``, ``domain``, and under
        ``datasets`` for ``drift_issues`` and ``quality_scores``: ``rows``, ``bytes``, ``time_column``,
        ``partitions`` (rows per week label) and ``columns`` (Arrow types).

    Raises
    ------
    OutputError
        ``out`` is a file, not empty without ``force``, holds the workspace, or cannot be written.
    UnknownNameError
        ``team`` or ``domain`` names nothing in the catalog.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from meta254lib.workspace.workspace import open_workspace
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "catalog").mkdir(); _ = (root / "catalog" / "service-index.yaml").write_text("services: []\\n")
    >>> meta = export_history_parquet(open_workspace(root), root.parent / (root.name + "-out"))
    >>> meta["datasets"]["drift_issues"]["rows"], meta["datasets"]["quality_scores"]["partitions"]
    (0, {})
    """
    out = Path(out).expanduser().resolve()
    _check_target(out, ws, force)
    scope = selected_services(ws, team, domain)
    parent = ensure_folder(out.parent)
    tmp = parent / f".{out.name}.{secrets.token_hex(4)}.tmp"
    meta: dict[str, Any] = {
        "export": "meta254 history",
        "version": EXPORT_VERSION,
        "workspace": str(ws.root),
        "as_of": _as_of(ws),
        "team": team or None,
        "domain": domain or None,
        "partitioning": f"hive, {PARTITION}=YYYY-Www: ISO week of the time column (UTC)",
        "datasets": {},
    }
    try:
        with output_errors(out):
            tmp.mkdir()
            for name, (_, attr, _, _) in DATASETS.items():
                frame = getattr(ws, attr)
                if scope is not None:
                    frame = frame[frame[SERVICE].isin(scope)]
                meta["datasets"][name] = _write_dataset(frame, name, tmp)
            write_atomic(tmp / META_FILE, json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
        _publish(tmp, out)
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
    return meta

"""The workspace's history tables: every issue of every drift report, every service of every quality snapshot.

Each report or snapshot is parsed by :mod:`meta254lib.workspace.history_files`; the latest copies the
platform writes beside the archive (``latest_drift_report.json``, ``latest_quality_snapshot.json``)
join the history only when they are not a copy of an archived file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core import schema as S
from ..core.errors import InputError
from .coerce import parse_timestamp, timestamp_from_filename
from .files import WorkspaceFiles
from .history_files import parse_drift_report, parse_quality_snapshot

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


def _digest(io: WorkspaceFiles, path: Path) -> str:
    """SHA-256 of a file's bytes (``""`` when it cannot be read)."""
    try:
        return hashlib.sha256(io.read_raw(path)).hexdigest()
    except InputError:
        return ""


def _drift_reports(io: WorkspaceFiles) -> list[Path]:
    """The archived drift reports, then the latest report unless it is a byte copy of one (recorded, not read)."""
    paths = io.find("drift_reports")
    latest = io.root / LATEST_DRIFT_REPORT
    digests = {d for d in (_digest(io, p) for p in paths) if d}
    candidates = list(paths)
    if latest.is_file() and io.inside(latest):
        rel = io.rel(latest)
        if _digest(io, latest) in digests:
            io.record(rel, "drift_reports")
            io.note(rel, "a copy of an archived report; not counted twice")
        else:
            candidates.append(latest)
    return candidates


def drift_history_table(io: WorkspaceFiles, aliases: Callable[[], Mapping[str, str]]) -> pd.DataFrame:
    """Every issue of every drift report (schema :data:`~meta254lib.core.schema.DRIFT_HISTORY`).

    ``latest_drift_report.json`` is read only when it is not a byte copy of an archived report.
    ``aliases`` gives the external dependency aliases; it is called when the first report is parsed
    (so the rules file is read at that point, as it always was).
    """
    frames: list[pd.DataFrame] = []  # one per report, text deduplicated: a year of reports fits in memory
    for path in _drift_reports(io):
        rel = io.rel(path)
        doc = io.load(path, "drift_reports")
        if doc is None:
            continue
        try:
            got = parse_drift_report(
                doc, rel, io.warnings, report_time=timestamp_from_filename(path.name), aliases=aliases()
            )
        except InputError as err:
            io.warn(rel, err.field, str(err))
            continue
        meta = doc.get("metadata") if isinstance(doc, dict) and isinstance(doc.get("metadata"), dict) else {}
        io.stamp(rel, parse_timestamp(meta.get("generated_at")) or timestamp_from_filename(path.name))
        io.rows[rel] = len(got)
        if got:
            frames.append(compact(S.frame_from_records(S.DRIFT_HISTORY, got)))
    df = pd.concat(frames, ignore_index=True) if frames else S.empty_frame(S.DRIFT_HISTORY)
    if len(df):
        df = df.sort_values(["report_time", "report", "source_issue", S.SERVICE], kind="stable").reset_index(drop=True)
    return df


def _read_snapshot(io: WorkspaceFiles, path: Path, is_latest: bool) -> list[dict[str, Any]] | None:
    """The rows of one quality snapshot; ``None`` when it is unusable (warned)."""
    rel = io.rel(path)
    doc = io.load(path, "quality_history" if not is_latest else "latest_quality")
    if doc is None:
        return None
    try:
        return parse_quality_snapshot(doc, rel, io.warnings, snapshot_time=timestamp_from_filename(path.name))
    except InputError as err:
        io.warn(rel, err.field, str(err))
        return None


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
    :func:`with_catalog_maturity`).
    """
    frames: list[pd.DataFrame] = []  # one per snapshot, text deduplicated
    shapes: dict[str, tuple[pd.Timestamp, list[str]]] = {}
    seen_times: set[pd.Timestamp] = set()
    digests: set[str] = set()
    paths = io.find("quality_history")
    latest = io.find("latest_quality")
    for path in paths + latest:
        rel = io.rel(path)
        digest = _digest(io, path)
        if path in latest and digest in digests:
            io.record(rel, "latest_quality")
            io.note(rel, "a copy of a historical snapshot; not counted twice")
            continue
        digests.add(digest)
        got = _read_snapshot(io, path, path in latest)
        if got is None:
            continue
        when = got[0]["snapshot_time"] if got else None
        if when is not None:
            io.stamp(rel, when)
        if path in latest and when in seen_times:
            io.note(rel, "same snapshot time as a historical snapshot; not counted twice")
            continue
        if when is not None:
            seen_times.add(when)
        io.rows[rel] = len(got)
        if got:
            frames.append(compact(S.frame_from_records(S.QUALITY_HISTORY, got)))
            shapes[rel] = (when, sorted({r["shape"] for r in got}))
    _warn_shapes(io, shapes)
    df = pd.concat(frames, ignore_index=True) if frames else S.empty_frame(S.QUALITY_HISTORY)
    if len(df):
        df = df.sort_values(["snapshot_time", S.SERVICE], kind="stable").reset_index(drop=True)
    return df

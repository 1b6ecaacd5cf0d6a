"""The drift report file: its name, its deterministic JSON text, and the atomic write into the workspace."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..core.atomic import ensure_folder, write_atomic, write_new
from ..core.clock import resolve_as_of
from ..core.errors import ParameterError
from .engine import DriftResult

__all__ = ["drift_report_filename", "drift_report_json", "write_drift_report"]


def drift_report_filename(as_of: Any) -> str:
    """``<YYYYmmdd_HHMMSS>_drift_report.json`` for an as-of time (UTC).

    Examples
    --------
    >>> drift_report_filename("2025-10-10T17:39:11Z")
    '20251010_173911_drift_report.json'
    """
    return f"{resolve_as_of(as_of):%Y%m%d_%H%M%S}_drift_report.json"


def drift_report_json(result: DriftResult) -> str:
    """The report as deterministic JSON text (sorted keys, UTF-8, two-space indent, final newline)."""
    return json.dumps(result.to_payload(), sort_keys=True, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def _write_atomic(path: Path, data: bytes, *, exclusive: bool = False) -> bool:
    """Write through :mod:`meta254lib.core.atomic`; ``exclusive`` never replaces an existing file.

    Returns False when ``exclusive`` and the file already existed.
    """
    if exclusive:
        return write_new(path, data)
    write_atomic(path, data)
    return True


def write_drift_report(root: str | Path, result: DriftResult) -> Path:
    """Write ``analysis/reports/drift/<as_of>_drift_report.json`` and update ``latest_drift_report.json``.

    Both writes are atomic (temporary file, then link/replace). An existing archive file with the
    same content is left alone; one with different content is never overwritten.

    Returns
    -------
    Path
        The archive file.

    Raises
    ------
    ParameterError
        When the archive file exists with different content.
    """
    folder = Path(root) / "analysis" / "reports" / "drift"
    ensure_folder(folder)
    data = drift_report_json(result).encode("utf-8")
    path = folder / drift_report_filename(result.as_of)
    if not _write_atomic(path, data, exclusive=True) and path.read_bytes() != data:
        rel = path.relative_to(Path(root)).as_posix()
        raise ParameterError(
            f"{rel} already exists with different content; refusing to overwrite it "
            "(choose another --as-of, or move the old report away)"
        )
    _write_atomic(folder / "latest_drift_report.json", data)
    return path

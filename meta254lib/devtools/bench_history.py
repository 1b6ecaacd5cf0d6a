"""The bench's cold history stage, timed against the history parse floor in the same process.

The **history parse floor** is a bare ``json.load`` of the very files the cold history load parses:
every archived drift report and quality snapshot, and each ``latest_*`` copy the platform writes
beside them unless it is a byte copy of an archived file (the load skips those too). Nothing is
done with the documents; each is dropped before the next is read, so the floor is what parsing
alone costs. The stage then opens the workspace with an empty warm-load cache, loads the catalog
tables (not timed: they are the cold load's stage) and times ``ws.quality_history`` and
``ws.drift_history``, which parse, check and tabulate the same files and fill the cache.

Target (issue 16): the cold history load at most :data:`FLOOR_RATIO_TARGET` times the floor.

The floor is ``json.load`` whatever the load uses: the load parses with orjson when it is installed
(a dependency; ~1.4x faster than ``json`` on these files), and the stage says which parser it used
(:func:`load_parser`), so the ratio compares our whole load with the standard parser alone.

Examples
--------
>>> HISTORY_FLOOR
'history parse floor: bare json.load of the same files'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..core.settings import LAYOUT
from ..workspace.history import LATEST_DRIFT_REPORT
from .bench_stages import Clock

__all__ = [
    "FLOOR_RATIO_TARGET",
    "HISTORY_FLOOR",
    "HISTORY_STAGES",
    "history_files",
    "load_parser",
    "run_history_stage",
]

#: The baseline's label in the stage table.
HISTORY_FLOOR = "history parse floor: bare json.load of the same files"
#: Target: cold history load / history parse floor.
FLOOR_RATIO_TARGET = 3.0


def _peak_mb() -> float | None:
    """This process's peak resident memory so far (``VmHWM``), in MB; ``None`` without ``/proc``."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def load_parser() -> str:
    """The JSON parser the history load uses: ``orjson`` when installed, else ``json`` (the floor's).

    Examples
    --------
    >>> load_parser() in ("orjson", "json")
    True
    """
    from ..workspace import yamlio

    return "orjson" if getattr(yamlio, "_orjson", None) is not None else "json"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def history_files(root: Path | str) -> list[Path]:
    """The history files a cold load parses: archived drift reports and quality snapshots, then each
    latest copy unless its bytes are those of an archived file.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "analysis/reports/drift").mkdir(parents=True)
    >>> for name in ("20250101_000000_drift_report.json", "latest_drift_report.json"):
    ...     _ = (root / "analysis/reports/drift" / name).write_text("{}")
    >>> [p.name for p in history_files(root)]
    ['20250101_000000_drift_report.json']
    """
    root = Path(root)
    out: list[Path] = []
    for key, latest in (
        ("drift_reports", (LATEST_DRIFT_REPORT,)),
        ("quality_history", LAYOUT["latest_quality"]),
    ):
        archived = sorted(
            p
            for pattern in LAYOUT[key]
            for p in root.glob(pattern)
            if p.is_file() and p.name != Path(LATEST_DRIFT_REPORT).name
        )
        out.extend(archived)
        digests = {_sha256(p) for p in archived}
        out.extend(p for rel in latest if (p := root / rel).is_file() and _sha256(p) not in digests)
    return out


def _stage_history_cold(root: Path, opts: Mapping[str, Any]) -> dict[str, Any]:
    """The history parse floor, then the cold history load, in this process (see the module docstring)."""
    from ..workspace.workspace import open_workspace

    files = history_files(root)
    with Clock() as floor:
        for path in files:
            with path.open("rb") as fh:
                doc = json.load(fh)
            del doc
    floor_rss = _peak_mb()
    ws = open_workspace(root, cache=True)
    ws.services  # noqa: B018 - the catalog tables are not part of this stage
    with Clock() as ours:
        rows = {"quality_history": len(ws.quality_history), "drift_history": len(ws.drift_history)}
    units = (ws.cache_stats or {}).get("units", {})
    state = ", ".join(f"{u} {units.get(u, '-')}" for u in ("quality_history", "drift_history"))
    size = sum(p.stat().st_size for p in files)
    return {
        "ours_s": ours.wall,
        "ours_cpu_s": ours.cpu,
        "ours_sys_s": ours.sys,
        "baseline_s": floor.wall,
        "baseline_cpu_s": floor.cpu,
        "baseline_label": HISTORY_FLOOR,
        "floor_ratio": ours.wall / floor.wall if floor.wall else None,
        "floor_peak_rss_mb": floor_rss,
        "files": len(files),
        "bytes": size,
        "rows": rows,
        "parser": load_parser(),
        "note": f"{rows['drift_history']:,} drift-history rows, {rows['quality_history']:,} quality rows from "
        f"{len(files)} files ({size / 1e6:.0f} MB), parsed with {load_parser()}; the floor parses the same "
        f"files with json.load (peak RSS {floor_rss} MB); cache: {state}; {ours.sys:.2f} s in the kernel "
        f"(the floor {floor.sys:.2f} s)",
    }


#: Stages this module runs, by key (see :func:`run_history_stage`).
HISTORY_STAGES = {"history_cold": _stage_history_cold}


def run_history_stage(name: str, root: Path | str, opts: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Run one stage of :data:`HISTORY_STAGES` in this process; its measurements plus ``peak_rss_mb``.

    Examples
    --------
    >>> run_history_stage("nope", ".")
    Traceback (most recent call last):
    ...
    ValueError: unknown history stage 'nope'
    """
    if name not in HISTORY_STAGES:
        raise ValueError(f"unknown history stage {name!r}")
    out = HISTORY_STAGES[name](Path(root), opts or {})
    # the kernel's RSS counters are per-CPU estimates, so a later VmHWM reading can come out a few hundred
    # kB under an earlier one; the peak so far is the larger of the readings
    readings = [r for r in (_peak_mb(), out.get("floor_peak_rss_mb")) if r is not None]
    out["peak_rss_mb"] = max(readings) if readings else None
    return out

"""Bench stage "weekly report, 10,000 services": the fleet's report beside the sample's, in one run.

Both reports run with a cold cache (each its own empty ``XDG_CACHE_HOME``), one after the other, each
in a child process (``python -m meta254lib.devtools.bench_report WORKSPACE OUT JOBS``) that runs
:func:`~meta254lib.report.run.build_report` and prints one JSON line: wall seconds, whether every page
rendered, the weekly folder's size, its largest page, and the peak RSS of the report process and of
its kernels (``resource.getrusage``: ``RUSAGE_SELF`` and ``RUSAGE_CHILDREN``).

It takes minutes at 10,000 services, so it is opt-in (:func:`bench_fleet_report`; ``meta254 bench --report`` runs
:func:`bench_main_job`: the history load against its parse floor, then this stage).

Examples
--------
>>> FLEET_REPORT_TARGET["max_ratio_to_sample"]
8.0
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "FLEET_REPORT_TARGET",
    "HISTORY_COLD_RUNS",
    "bench_fleet_report",
    "bench_main_job",
    "measure_report",
    "median_run",
    "report_row",
]

#: Issue 16: the fleet's report at most 8x the sample's; every page at most 2 MB, the folder at most 30 MB.
FLEET_REPORT_TARGET: dict[str, float] = {"max_ratio_to_sample": 8.0, "max_page_mb": 2.0, "max_folder_mb": 30.0}
_MB = 1024 * 1024


def _peak_rss_mb() -> tuple[float, float]:
    """Peak RSS in MB of this process and of its largest waited-for child (Linux: ``ru_maxrss`` in KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return round(own, 1), round(kids, 1)


def measure_report(
    workspace: Path | str, out: Path | str, jobs: int | None = None, notebooks_dir: Path | None = None
) -> dict[str, Any]:
    """Run one weekly report and measure it (call in a fresh process: the RSS figures are the process's).

    Returns
    -------
    dict
        ``seconds``, ``ok``, ``pages``, ``folder_mb``, ``largest_page`` and ``largest_page_mb``,
        ``peak_rss_mb`` (the report process) and ``kernels_peak_rss_mb`` (its largest kernel).
    """
    from ..report.run import build_report

    start = time.perf_counter()
    result = build_report(workspace, out=Path(out), jobs=jobs, notebooks_dir=notebooks_dir)
    seconds = time.perf_counter() - start
    files = [f for f in result.folder.rglob("*") if f.is_file()]
    pages = [f for f in files if f.suffix == ".html" and f.name != "index.html"]
    largest = max(pages, key=lambda f: f.stat().st_size) if pages else None
    own, kids = _peak_rss_mb()
    return {
        "seconds": round(seconds, 2),
        "ok": result.ok,
        "pages": len(result.pages),
        "folder_mb": round(sum(f.stat().st_size for f in files) / _MB, 2),
        "largest_page": largest.name if largest else "",
        "largest_page_mb": round(largest.stat().st_size / _MB, 2) if largest else 0.0,
        "peak_rss_mb": own,
        "kernels_peak_rss_mb": kids,
    }


def _child_report(workspace: Path, out: Path, jobs: int | None, timeout: float) -> dict[str, Any]:
    """:func:`measure_report` in a child process with a cold cache of its own."""
    cache = Path(tempfile.mkdtemp(prefix="m254-bench-cache-"))
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    cmd = [sys.executable, "-m", "meta254lib.devtools.bench_report", str(workspace), str(out), json.dumps(jobs)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {timeout:.0f} s (stopped)"}
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"error": f"report failed (exit {proc.returncode}): {' | '.join(tail)}"}
    return dict(json.loads(lines[-1]))


def report_row(fleet: Mapping[str, Any], sample: Mapping[str, Any], services: int) -> dict[str, Any]:
    """The bench row: the fleet report's figures, the sample's as baseline, and the targets met.

    Examples
    --------
    >>> f = {"seconds": 70.0, "ok": True, "folder_mb": 20.0, "largest_page_mb": 1.5, "peak_rss_mb": 900.0,
    ...      "kernels_peak_rss_mb": 1200.0}
    >>> s = {"seconds": 14.0, "ok": True, "peak_rss_mb": 300.0, "kernels_peak_rss_mb": 400.0}
    >>> row = report_row(f, s, 10_000)
    >>> row["ratio_to_sample"], [t["met"] for t in row["targets"]]
    (5.0, [True, True, True])
    """
    ours, base = fleet.get("seconds"), sample.get("seconds")
    ratio = round(ours / base, 2) if ours and base else None
    t = FLEET_REPORT_TARGET
    checks = (
        (f"<= {t['max_ratio_to_sample']:g} x sample report", ratio, t["max_ratio_to_sample"]),
        (f"every page <= {t['max_page_mb']:g} MB", fleet.get("largest_page_mb"), t["max_page_mb"]),
        (f"folder <= {t['max_folder_mb']:g} MB", fleet.get("folder_mb"), t["max_folder_mb"]),
    )
    rss = [fleet.get("peak_rss_mb"), fleet.get("kernels_peak_rss_mb")]
    return {
        "key": "fleet_report",
        "stage": f"weekly report, {services:,} services",
        "ours_s": ours,
        "baseline": "weekly report, data/sample (60 services)",
        "baseline_s": base,
        "ratio_to_sample": ratio,
        "ok": bool(fleet.get("ok")) and bool(sample.get("ok")),
        "peak_rss_mb": max((r for r in rss if r is not None), default=None),
        "fleet": dict(fleet),
        "sample": dict(sample),
        "targets": [{"target": text, "value": v, "met": v is not None and v <= limit} for text, v, limit in checks],
        "note": str(fleet.get("error") or sample.get("error") or ""),
    }


def bench_fleet_report(
    fleet_workspace: Path | str | None = None,
    sample_workspace: Path | str | None = None,
    *,
    services: int = 10_000,
    weeks: int = 52,
    jobs: int | None = None,
    workdir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    timeout: float = 1800.0,
) -> dict[str, Any]:
    """Time the weekly report of a ``services``-service workspace and of the default sample, cold caches.

    Workspaces not given are generated (the sample with :data:`~meta254lib.devtools.sample.DEFAULTS`,
    the fleet with ``services`` and ``weeks``). Returns :func:`report_row`.
    """
    from .sample import DEFAULTS, generate_sample

    say = progress or (lambda _msg: None)
    base_dir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="m254-bench-fleet-"))
    try:
        if sample_workspace is None:
            sample_workspace = base_dir / "sample"
            generate_sample(Path(sample_workspace), **{k: DEFAULTS[k] for k in ("services", "weeks", "seed", "end")})
        if fleet_workspace is None:
            fleet_workspace = base_dir / "fleet"
            generate_sample(Path(fleet_workspace), services=services, weeks=weeks)
        n = _catalog_size(Path(fleet_workspace), services)
        say("[fleet report] sample report (cold cache)")
        sample = _child_report(Path(sample_workspace).resolve(), base_dir / "out-sample", jobs, timeout)
        say(f"[fleet report] {n:,}-service report (cold cache)")
        fleet = _child_report(Path(fleet_workspace).resolve(), base_dir / "out-fleet", jobs, timeout)
        return report_row(fleet, sample, n)
    finally:
        if workdir is None:
            shutil.rmtree(base_dir, ignore_errors=True)


def bench_main_job(
    fleet_workspace: Path | str | None = None,
    *,
    services: int = 10_000,
    weeks: int = 52,
    workdir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    timeout: float = 1800.0,
) -> dict[str, Any]:
    """The main job at fleet scale: the history load against its parse floor, then the weekly report.

    The fleet workspace (generated with ``services`` and ``weeks`` unless given) gets the history
    stages (cold, each against the bare ``json.load`` floor of the same files, then warm) in their
    own processes with an empty cache, then :func:`~meta254lib.devtools.bench_report.bench_fleet_report`
    (the sample's report and the fleet's, cold caches, one after the other in this run).

    Returns
    -------
    dict
        ``history``: the two history stage rows; ``fleet_report``: the report row.
    """
    from .bench import _child, _row  # the stage runner of meta254 bench (it imports this module)
    from .sample import generate_sample

    say = progress or (lambda _msg: None)
    base_dir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="m254-bench-main-"))
    base_dir.mkdir(parents=True, exist_ok=True)
    try:
        if fleet_workspace is None:
            fleet_workspace = base_dir / "fleet"
            say(f"[main job] generating {services:,} services ({weeks} weeks)...")
            generate_sample(Path(fleet_workspace), services=services, weeks=weeks)
        root = Path(fleet_workspace).resolve()
        cache_dir = base_dir / "history-cache"
        shutil.rmtree(cache_dir, ignore_errors=True)
        env = {**os.environ, "META254_CACHE_DIR": str(cache_dir), "META254_CACHE": "on"}
        colds = []
        for k in range(HISTORY_COLD_RUNS):  # each from an empty cache; the warm load reads the last one's
            shutil.rmtree(cache_dir, ignore_errors=True)
            say(f"[main job] history cold ({k + 1} of {HISTORY_COLD_RUNS})...")
            colds.append(_child("history_cold", root, {}, env, timeout))
        got = {"history_cold": median_run(colds)}
        warms = []
        for k in range(HISTORY_WARM_RUNS):  # each reads the cache the last cold run wrote
            say(f"[main job] history warm ({k + 1} of {HISTORY_WARM_RUNS})...")
            warms.append(_child("history_warm", root, {}, env, timeout))
        got["history_warm"] = median_run(warms, against_floor=False)
        if "error" not in got["history_warm"] and "error" not in got["history_cold"]:
            cold = got["history_cold"]
            got["history_warm"] = {
                **got["history_warm"],
                "baseline_s": cold.get("ours_s"),
                "baseline_cpu_s": cold.get("ours_cpu_s"),
            }
        n = _catalog_size(root, services)
        history = [_row(k, got[k], got[k].get("peak_rss_mb"), n) for k in ("history_cold", "history_warm")]
        fleet = bench_fleet_report(root, services=n, weeks=weeks, workdir=base_dir, progress=say, timeout=timeout)
        return {"services": n, "workspace": str(root), "history": history, "fleet_report": fleet}
    finally:
        shutil.rmtree(base_dir / "history-cache", ignore_errors=True)
        if workdir is None:
            shutil.rmtree(base_dir, ignore_errors=True)


#: Cold history loads the main job runs (each against its own parse floor); the row is the median one.
HISTORY_COLD_RUNS = 3
#: Warm history loads the main job runs; the row is the median one.
HISTORY_WARM_RUNS = 3


def median_run(runs: Sequence[Mapping[str, Any]], *, against_floor: bool = True) -> dict[str, Any]:
    """The run with the median ratio of ``ours_s`` to ``baseline_s``, every ratio listed in its note.

    One cold load on a shared 2-core machine moved between 2.7x and 4.2x its floor from run to run;
    the median of three, each against the floor measured in the same process just before, is what the
    row shows. Without ``against_floor`` the runs have no baseline of their own (the warm loads) and the
    median is of ``ours_s``. A failed run is returned as it is.

    Examples
    --------
    >>> runs = [{"ours_s": 9.0, "baseline_s": 2.0, "note": "a"}, {"ours_s": 6.0, "baseline_s": 2.0, "note": "b"},
    ...         {"ours_s": 7.0, "baseline_s": 2.5, "note": "c"}]
    >>> got = median_run(runs)
    >>> got["ours_s"], got["note"], got["ratios"]
    (6.0, 'b; median of 3 runs (ratios to the floor 4.50, 3.00, 2.80)', [4.5, 3.0, 2.8])
    """
    needed = ("ours_s", "baseline_s") if against_floor else ("ours_s",)
    failed = [r for r in runs if "error" in r or not all(r.get(k) for k in needed)]
    if failed or not runs:
        return dict(failed[0]) if failed else {"error": "no run"}
    if against_floor:
        ratios = [r["ours_s"] / r["baseline_s"] for r in runs]
        listed = f"ratios to the floor {', '.join(f'{x:.2f}' for x in ratios)}"
    else:
        ratios = [r["ours_s"] for r in runs]
        listed = f"{', '.join(f'{x:.2f}' for x in ratios)} s"
    mid = sorted(range(len(runs)), key=ratios.__getitem__)[len(runs) // 2]
    note = f"{runs[mid].get('note', '')}; median of {len(runs)} runs ({listed})"
    return {**runs[mid], "note": note, "ratios": [round(x, 2) for x in ratios]}


def _catalog_size(workspace: Path, default: int) -> int:
    """Services in the workspace's catalog (``default`` when it cannot be read)."""
    try:
        from ..workspace import open_workspace

        return len(open_workspace(workspace).services)
    except Exception:  # the bench still runs; the report itself says what is wrong
        return default


def _main(argv: Sequence[str]) -> int:
    """Child entry point: ``python -m meta254lib.devtools.bench_report WORKSPACE OUT JOBS_JSON``."""
    jobs = json.loads(argv[2]) if len(argv) > 2 else None
    print(json.dumps(measure_report(argv[0], argv[1], jobs), sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))

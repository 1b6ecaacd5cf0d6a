"""Write each week's drift report and quality snapshot, optionally in two forked workers."""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..quality.params import ScoringParams
from .sample_drift import detect_issues, drift_report
from .sample_model import Platform, file_stamp, sub_rng, ts_naive, ts_plus, ts_z
from .sample_snapshots import quality_snapshot, score_week, service_metrics
from .sample_writer import Writer

__all__ = ["WeekJob", "fork_pool", "snapshot_time", "write_week", "write_week_in_worker"]


@dataclass
class WeekJob:
    """What writing a week needs: the platform, the output folder, scoring parameters, indentation."""

    plat: Platform
    root: Path
    params: ScoringParams
    indent: int | None


_SPELLINGS = (ts_naive, ts_z, ts_plus)


def snapshot_time(t: datetime, k: int) -> datetime:
    """The quality run of week ``k`` follows its drift run by under a minute."""
    return t + timedelta(seconds=41 + k % 17, microseconds=173 * k)


def write_week(job: WeekJob, k: int) -> tuple[int, int, dict[str, dict[str, Any]], list[tuple[str, ...]]]:
    """Write week ``k``'s drift report and quality snapshot; a pure function of the platform and ``k``.

    Returns the files and bytes written, and (for the newest week only) the metrics and the issues.
    """
    plat = job.plat
    n_weeks = len(plat.weeks)
    w = Writer(job.root)
    t = plat.weeks[k]
    active = [s for s in plat.services if s.present(t)]
    # the catalog build that preceded the weekly run
    cat_ts = ts_plus(t - timedelta(seconds=700 + (k * 7919) % 500, microseconds=(k * 104729) % 1_000_000))
    issues = detect_issues(plat, t, active)
    # contract tests fail against a deprecated version of a spec
    on_deprecated = {s.name for s in active for p in s.pins if p.at(t) in plat.specs[p.spec].deprecated}
    as_repr = k < (n_weeks // 2 if n_weeks > 1 else 0)  # the older half: the tool's repr strings
    report = drift_report(issues, t, _SPELLINGS[min(2, 3 * k // n_weeks)], cat_ts, len(active), as_repr)
    w.json(f"analysis/reports/drift/{file_stamp(t)}_drift_report.json", report, indent=job.indent)
    per_svc: dict[str, int] = {}
    if not as_repr:  # the platform only counts drift issues it can read back (dicts)
        for i in issues:
            per_svc[i[2]] = per_svc.get(i[2], 0) + 1
    qt = snapshot_time(t, k)
    flags = k >= n_weeks // 3  # newer snapshots carry the test-pass flags
    metrics = [service_metrics(plat, s, k, qt, per_svc.get(s.name, 0), flags, s.name in on_deprecated) for s in active]
    maturities = [s.maturity_at(qt) for s in active]
    names = [s.name for s in active]
    scores = score_week(names, metrics, maturities, job.params)
    entries = list(zip(names, metrics, maturities, scores, strict=True))
    stamp = _SPELLINGS[min(2, (3 * k + 1) // n_weeks)]
    snap = quality_snapshot(entries, qt, stamp, cat_ts, sub_rng(plat.seed, "snapshot", k))
    w.json(f"analysis/historical/quality/quality_{file_stamp(qt)}.json", snap, indent=job.indent)
    if k == n_weeks - 1:
        return w.files, w.bytes, dict(zip(names, metrics, strict=True)), issues
    return w.files, w.bytes, {}, []


_JOB: WeekJob | None = None  # the job a forked worker inherits


def write_week_in_worker(k: int) -> tuple[int, int, dict[str, dict[str, Any]], list[tuple[str, ...]]]:
    """Write week ``k`` of the job a forked worker inherited."""
    assert _JOB is not None
    return write_week(_JOB, k)


def fork_pool(job: WeekJob, parallel: bool) -> Any:
    """Two forked workers that inherit ``job`` (None when not wanted or not possible)."""
    global _JOB
    if not parallel or (os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    _JOB = job
    try:
        return multiprocessing.get_context("fork").Pool(2)
    finally:
        _JOB = None

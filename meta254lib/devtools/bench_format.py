"""The bench's text output: the stage table, the scaling table and the growth exponents.

Examples
--------
>>> growth_exponent(1.0, 4.0, 1000, 4000)
1.0
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .bench_stages import STAGES

__all__ = ["format_scaling", "format_table", "growth_exponent", "main_job_text", "scaling_rows"]


def growth_exponent(t1: float | None, t2: float | None, n1: int, n2: int) -> float | None:
    """The exponent ``k`` in ``t ~ n^k`` between two sizes (1.0 = linear), or None.

    Examples
    --------
    >>> growth_exponent(2.0, 8.0, 1000, 2000)
    2.0
    >>> growth_exponent(None, 1.0, 1, 2) is None
    True
    """
    if not t1 or not t2 or t1 <= 0 or t2 <= 0 or n1 <= 0 or n2 <= 0 or n1 == n2:
        return None
    return round(math.log(t2 / t1) / math.log(n2 / n1), 2)


def scaling_rows(runs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per stage: our seconds at each size and the growth exponent between successive sizes.

    Examples
    --------
    >>> runs = [{"services": n, "edges": 3 * n, "stages": [{"key": "drift", "stage": "drift", "ours_s": t}]}
    ...         for n, t in ((1000, 0.1), (4000, 0.4))]
    >>> scaling_rows(runs)[0]["growth"]
    [1.0]
    """
    ordered = sorted(runs, key=lambda r: r["services"])
    keys = [s["key"] for s in STAGES if s["key"] != "report"]
    out = []
    for key in keys:
        times = []
        label = key
        for run in ordered:
            row = next((s for s in run["stages"] if s["key"] == key), None)
            times.append(row["ours_s"] if row else None)
            label = row["stage"] if row else label
        if all(t is None for t in times):
            continue
        sizes = [r["services"] for r in ordered]
        growth = [growth_exponent(times[i], times[i + 1], sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)]
        out.append({"key": key, "stage": label, "sizes": sizes, "ours_s": times, "growth": growth})
    return out


# --- text output ----------------------------------------------------------------------------------


def _fmt_s(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def format_table(rows: Iterable[Mapping[str, Any]]) -> str:
    """The stage table as aligned text (stage, ours, baseline, ratio, peak RSS, targets).

    The ratio is baseline / ours, except for the cold loads (ours / the parse floor) and the fleet's
    weekly report (ours / the sample's report).

    Examples
    --------
    >>> row = {"key": "fleet_report", "stage": "fleet report", "ours_s": 98.0, "baseline": "sample report",
    ...        "baseline_s": 14.0, "ratio_to_sample": 7.0, "peak_rss_mb": 2100.0,
    ...        "targets": [{"target": "<= 8 x sample report", "met": True}]}
    >>> print(format_table([row]).splitlines()[2])
    fleet report  98.0    14.0        sample report  7.00x sample  2100         <= 8 x sample report: met
    """
    header = ("stage", "ours s", "baseline s", "baseline", "ratio", "peak RSS MB", "targets")
    lines = []
    for r in rows:
        sp = r.get("speedup")
        ratio = "-" if not sp else (f"{sp:.2f}x" if sp < 10 else f"{sp:.0f}x")
        if r["key"] in ("cold_load", "history_cold") and r.get("ours_s") and r.get("baseline_s"):
            ratio = f"{r['ours_s'] / r['baseline_s']:.2f}x floor"
        if r.get("ratio_to_sample") is not None:  # the fleet's report, against the sample's
            ratio = f"{r['ratio_to_sample']:.2f}x sample"
        base = r.get("baseline", "") or ""
        if r.get("extrapolated"):
            base += f" (sampled {r.get('baseline_sample')}, extrapolated)"
        targets = "; ".join(f"{t['target']}: {'met' if t['met'] else 'MISSED'}" for t in r.get("targets", []))
        rss = f"{r['peak_rss_mb']:.0f}" if r.get("peak_rss_mb") is not None else "-"
        lines.append(
            (r["stage"], _fmt_s(r.get("ours_s")), _fmt_s(r.get("baseline_s")), base, ratio, rss, targets or "-")
        )
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(header)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    for line in lines:
        out.append("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    return "\n".join(out)


def main_job_text(main_job: Mapping[str, Any], machine: Mapping[str, Any] | None = None) -> str:
    """The main job's rows (history load against its parse floor, the fleet's report against the sample's) as text.

    Examples
    --------
    >>> job = {"services": 10000, "workspace": "/w/fleet", "history": [], "fleet_report": {
    ...     "key": "fleet_report", "stage": "weekly report, 10,000 services", "ours_s": 98.0, "baseline_s": 14.0,
    ...     "ratio_to_sample": 7.0, "targets": [], "note": "", "fleet": {"folder_mb": 21.5, "largest_page_mb": 1.4,
    ...     "largest_page": "plan.html", "peak_rss_mb": 2000.0, "kernels_peak_rss_mb": 1500.0},
    ...     "sample": {"peak_rss_mb": 300.0, "kernels_peak_rss_mb": 400.0}}}
    >>> print(main_job_text(job).splitlines()[0])
    main job, 10,000 services (/w/fleet)
    """
    report = main_job.get("fleet_report") or {}
    lines = [f"main job, {main_job.get('services', 0):,} services ({main_job.get('workspace', '')})"]
    if machine:
        lines.append(f"load average at start {machine.get('loadavg')}, at end {machine.get('loadavg_end')}")
    lines.append(format_table([*main_job.get("history", []), *([report] if report else [])]))
    fleet, sample = report.get("fleet", {}), report.get("sample", {})
    if fleet:
        lines.append(
            f"  fleet report: folder {fleet.get('folder_mb')} MB, largest page {fleet.get('largest_page')} "
            f"{fleet.get('largest_page_mb')} MB; peak RSS report process {fleet.get('peak_rss_mb')} MB, largest "
            f"kernel {fleet.get('kernels_peak_rss_mb')} MB (sample: {sample.get('peak_rss_mb')} / "
            f"{sample.get('kernels_peak_rss_mb')} MB)"
        )
    for row in [*main_job.get("history", []), report]:
        if row and row.get("note"):
            lines.append(f"  {row['stage']}: {row['note']}")
    return "\n".join(lines)


def format_scaling(scaling: Sequence[Mapping[str, Any]]) -> str:
    """The scaling table: our seconds per size, and the growth exponent between sizes."""
    if not scaling:
        return ""
    sizes = scaling[0]["sizes"]
    header = ["stage", *[f"{n:,}" for n in sizes], *[f"k {a:,}->{b:,}" for a, b in itertools.pairwise(sizes)]]
    lines = []
    for s in scaling:
        growth = ["-" if g is None else f"{g:.2f}" for g in s["growth"]]
        lines.append([s["stage"], *[_fmt_s(t) for t in s["ours_s"]], *growth])
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out.extend("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines)
    out.append("k: growth exponent between sizes (time ~ services^k; 1 = linear, about 1.1 = N log N)")
    return "\n".join(out)

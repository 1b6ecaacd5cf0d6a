"""``meta254 bench``: every stage at fleet scale, timed beside a naive baseline in the same run.

For each size the bench writes a synthetic workspace with :func:`meta254lib.devtools.sample.generate_sample`
(deep dependency chains, a few cycles, 1-3 spec pins per service, weekly drift reports and quality
snapshots) into a temporary folder, then times each stage in a **fresh Python process** (so every
peak RSS is that stage's own, and a "cold" load really is cold):

==================  ==========================================================================
stage               ours vs baseline
==================  ==========================================================================
cold load           ``open_workspace`` + the catalog tables with an empty cache, vs bare
                    ``yaml.load(catalog, Loader=CSafeLoader)`` (the parse floor)
warm load           the same from the warm-load cache (:mod:`meta254lib.workspace.cache`), vs cold load
history load        every drift report and quality snapshot, cold (parsed) vs the history parse
                    floor (bare ``json.load`` of the same files, :mod:`.bench_history`), and warm (cached)
graph build         ``ws.graph`` (no baseline; cached after the first build)
blast radius        :func:`~meta254lib.graph.reach.blast_radius_all` on the default relations, vs a
                    per-node ``networkx.ancestors`` loop on a random sample, extrapolated
drift detection     :func:`~meta254lib.drift.engine.detect_drift`, vs
                    :func:`~.baselines.drift.detect_drift_baseline` (a per-row loop over the
                    catalog dicts)
trends              :func:`~meta254lib.quality.trends.quality_trends` over the whole history (slopes,
                    regressions, attribution), vs a per-service ``numpy.polyfit`` loop
drift flow          weekly drift backlog and MTTR over every report (no baseline)
plan                :func:`~meta254lib.remediation.plan.build_plan` with waves (no baseline)
one-service impact  open (warm) + :func:`~meta254lib.impact.analysis.workspace_impact` of one service
weekly report       :func:`~meta254lib.report.run.build_report` on the sample workspace, vs the
                    papermill CLI + nbconvert CLI per notebook, one after the other
==================  ==========================================================================

Times are wall-clock seconds (``time.perf_counter``); CPU seconds of the stage's process are
recorded beside them, since a busy machine stretches wall time. Peak RSS is the peak resident memory
of the stage's process (``VmHWM`` from ``/proc/self/status``; ``resource.getrusage`` ``ru_maxrss``
where there is no ``/proc``), which includes loading what the stage needs; it is the honest number for
"how much memory does this take", not the increment of the stage alone. The workspaces are generated
in a child process too, so no stage inherits the generator's peak.

Children report back one JSON line on stdout: no Python object crosses the process boundary.

Examples
--------
>>> [r["stage"] for r in STAGES][:2]
['cold load', 'warm load']
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .bench_format import scaling_rows
from .bench_history import FLOOR_RATIO_TARGET, HISTORY_STAGES, run_history_stage
from .bench_report import bench_main_job
from .bench_stages import CHILD_STAGES, STAGES, run_stage

__all__ = [
    "RSS_TARGET_MB",
    "TARGETS",
    "TARGET_SERVICES",
    "bench_sizes",
    "bench_weekly_report",
    "machine_info",
    "rounded",
    "run_bench",
]

#: Targets of issue 9 for 10,000 services: stage key -> (kind, value). ``max_s``: ours at most that
#: many seconds; ``max_ratio_to_baseline``: ours / baseline at most; ``min_speedup``: baseline / ours
#: at least. The RSS target applies to every stage.
TARGETS: dict[str, tuple[tuple[str, float], ...]] = {
    "cold_load": (("max_ratio_to_baseline", 1.3),),
    "warm_load": (("max_s", 0.5),),
    "history_cold": (("max_ratio_to_baseline", FLOOR_RATIO_TARGET),),
    "blast_radius": (("max_s", 0.5), ("min_speedup", 20.0)),
    "drift": (("max_s", 2.0),),
    "trends": (("max_s", 3.0),),
    "interactive": (("max_s", 1.0),),
    "report": (("min_speedup", 2.5),),
}
#: Peak RSS target for every stage, in MB.
RSS_TARGET_MB = 2048.0
#: Size at which the targets are stated.
TARGET_SERVICES = 10_000


# --- machine --------------------------------------------------------------------------------------


def rounded(x: float | None, nd: int = 4) -> float | None:
    """``x`` rounded to ``nd`` decimals (None stays None)."""
    return None if x is None else round(float(x), nd)


def machine_info() -> dict[str, Any]:
    """CPU count (``nproc``), CPU model, memory, load and library versions of this machine.

    Examples
    --------
    >>> sorted(machine_info())[:3]
    ['cpu_model', 'loadavg', 'mem_total_mb']
    """
    import networkx
    import numpy
    import pandas
    import yaml

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                mem = round(int(line.split()[1]) / 1024)
                break
    except (OSError, ValueError):
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count()
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "nproc": nproc,
        "cpu_model": model,
        "mem_total_mb": mem,
        "loadavg": load,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {
            "pandas": pandas.__version__,
            "numpy": numpy.__version__,
            "networkx": networkx.__version__,
            "pyyaml": yaml.__version__,
            "libyaml": bool(getattr(yaml, "__with_libyaml__", False)),
        },
    }


# --- helpers --------------------------------------------------------------------------------------


def _child(name: str, root: Path, opts: Mapping[str, Any], env: Mapping[str, str], timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "meta254lib.devtools.bench", name, str(root), json.dumps(dict(opts))]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(env), timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {timeout:.0f} s (stopped)", "timeout": True}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"error": f"stage {name} failed (exit {proc.returncode}): {' | '.join(tail)}"}
    return json.loads(lines[-1])


# --- orchestration -----------------------------------------------------------------------------------


def _row(key: str, got: Mapping[str, Any], rss: float | None, n_services: int) -> dict[str, Any]:
    meta = next(s for s in STAGES if s["key"] == key)
    ours, base = got.get("ours_s"), got.get("baseline_s")
    row: dict[str, Any] = {
        "key": key,
        "stage": meta["stage"],
        "ours_s": rounded(ours),
        "ours_cpu_s": rounded(got.get("ours_cpu_s")),
        "baseline": got.get("baseline_label", meta["baseline"]) if base is not None else "",
        "baseline_s": rounded(base),
        "baseline_cpu_s": rounded(got.get("baseline_cpu_s")),
        "speedup": rounded(base / ours, 2) if ours and base else None,
        "peak_rss_mb": rss,
        "note": got.get("note", got.get("error", "")),
    }
    for k in ("agree", "extrapolated", "baseline_sample", "prep_s", "error", "floor_peak_rss_mb", "ours_sys_s"):
        if k in got:
            row[k] = got[k] if not isinstance(got[k], float) else rounded(got[k])
    row["targets"] = _check_targets(key, row, n_services)
    return row


def _check_targets(key: str, row: Mapping[str, Any], n_services: int) -> list[dict[str, Any]]:
    if n_services != TARGET_SERVICES and key != "report":
        return []
    out = []
    ours, base = row.get("ours_s"), row.get("baseline_s")
    for kind, value in TARGETS.get(key, ()):
        if kind == "max_s":
            got = ours
            met = ours is not None and ours <= value
            text = f"<= {value:g} s"
        elif kind == "max_ratio_to_baseline":
            got = rounded(ours / base, 2) if ours and base else None
            met = got is not None and got <= value
            text = f"<= {value:g} x baseline"
        else:
            got = row.get("speedup")
            met = got is not None and got >= value
            text = f">= {value:g}x faster"
        out.append({"target": text, "value": got, "met": bool(met)})
    rss = row.get("peak_rss_mb")
    if rss is not None and key != "report":
        out.append({"target": f"peak RSS <= {RSS_TARGET_MB:g} MB", "value": rss, "met": rss <= RSS_TARGET_MB})
    return out


def _run_child_stages(
    root: Path, opts: Mapping[str, Any], env: Mapping[str, str], timeout: float, say: Callable[[str], None]
) -> dict[str, dict[str, Any]]:
    """Run every child stage on ``root``; the warm stages take their cold twins as baseline."""
    got: dict[str, dict[str, Any]] = {}
    for name in CHILD_STAGES:
        say(name.replace("_", " "))
        res = _child(name, root, opts, env, timeout)
        if name == "graph" and "error" not in res:
            rss = res.get("peak_rss_mb")
            got["graph"] = {**res["graph"], "peak_rss_mb": rss}
            got["blast_radius"] = {**res["blast_radius"], "peak_rss_mb": rss}
        elif name == "graph":
            got["graph"] = got["blast_radius"] = res
        else:
            got[name] = res
    for warm, cold in (("warm_load", "cold_load"), ("history_warm", "history_cold")):
        if "error" not in got[warm] and "error" not in got[cold]:
            got[warm] = {
                **got[warm],
                "baseline_s": got[cold].get("ours_s"),
                "baseline_cpu_s": got[cold].get("ours_cpu_s"),
            }
    return got


def bench_sizes(
    sizes: Sequence[int],
    *,
    weeks: int = 52,
    edges_per_service: int = 3,
    seed: int = 254,
    sample: int = 200,
    workdir: Path | None = None,
    keep: bool = False,
    progress: Callable[[str], None] | None = None,
    timeout: float = 900.0,
) -> list[dict[str, Any]]:
    """Generate a workspace per size and time every stage on it (each in its own process).

    Parameters
    ----------
    sizes : sequence of int
        Service counts.
    weeks : int
        Weekly drift reports and quality snapshots.
    edges_per_service : int
        Internal dependency entries per service (3 gives 30,000 for 10,000 services).
    workdir : Path, optional
        Where the workspaces and caches go (default: a temporary folder, deleted afterwards).
    keep : bool
        Keep the generated workspaces (only with ``workdir``).

    Returns
    -------
    list of dict
        One per size: ``services, edges, weeks, generate_s, workspace_bytes, files, stages``.
    """

    say = progress or (lambda _msg: None)
    base_dir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="m254-bench-"))
    base_dir.mkdir(parents=True, exist_ok=True)
    runs = []
    try:
        for n in sizes:
            root = base_dir / f"ws-{n}"
            cache_dir = base_dir / f"cache-{n}"
            shutil.rmtree(cache_dir, ignore_errors=True)
            env = {**os.environ, "META254_CACHE_DIR": str(cache_dir), "META254_CACHE": "on"}
            say(f"[{n:,} services] generating the workspace ({weeks} weeks)...")
            t0 = time.perf_counter()
            spec = {"services": n, "weeks": weeks, "seed": seed, "internal_edges": edges_per_service * n}
            summary = _child("generate", root, spec, os.environ, timeout)  # keeps this process small
            if "error" in summary:
                raise RuntimeError(f"generating {n:,} services: {summary['error']}")
            gen_s = time.perf_counter() - t0
            opts = {"sample": sample, "seed": seed, "weeks": weeks}
            got = _run_child_stages(root, opts, env, timeout, lambda name, n=n: say(f"[{n:,} services] {name}..."))
            rows = [
                _row(s["key"], got[s["key"]], got[s["key"]].get("peak_rss_mb"), n) for s in STAGES if s["key"] in got
            ]
            runs.append(
                {
                    "services": summary["services"],
                    "edges": summary["edges"],
                    "weeks": weeks,
                    "drift_reports": summary["drift_reports"],
                    "quality_snapshots": summary["quality_snapshots"],
                    "files": summary["files"],
                    "workspace_bytes": summary["bytes"],
                    "generate_s": rounded(gen_s, 2),
                    "stages": rows,
                }
            )
            if not keep:
                shutil.rmtree(root, ignore_errors=True)
                shutil.rmtree(cache_dir, ignore_errors=True)
    finally:
        if workdir is None and not keep:
            shutil.rmtree(base_dir, ignore_errors=True)
    return runs


def bench_weekly_report(
    *,
    workdir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    jobs: int | None = None,
    timeout: float = 900.0,
) -> dict[str, Any]:
    """The weekly report on the default sample workspace vs the naive CLI baseline (see
    :func:`meta254lib.devtools.baselines.report.bench_report`), run in a child process like the other stages."""
    from .sample import DEFAULTS, generate_sample

    say = progress or (lambda _msg: None)
    base_dir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="m254-bench-report-"))
    try:
        root = base_dir / "sample"
        summary = generate_sample(root, **{k: DEFAULTS[k] for k in ("services", "weeks", "seed", "end")})
        say(f"[report] sample workspace ({summary['services']} services, {summary['weeks']} weeks): report + baseline")
        got = _child("report", root, {"jobs": jobs}, os.environ, timeout)
        row = _row("report", got, got.get("peak_rss_mb"), summary["services"])
        row["services"] = summary["services"]
        return row
    finally:
        if workdir is None:
            shutil.rmtree(base_dir, ignore_errors=True)


def run_bench(
    sizes: Sequence[int] = (TARGET_SERVICES,),
    *,
    weeks: int = 52,
    edges_per_service: int = 3,
    seed: int = 254,
    sample: int = 200,
    skip_report: bool = False,
    workdir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    timeout: float = 900.0,
    fleet_report: bool = False,
    fleet_workspace: Path | str | None = None,
    report_only: bool = False,
) -> dict[str, Any]:
    """The whole benchmark: machine, one run per size, the weekly report, and the scaling table.

    ``fleet_report`` adds the main job at the largest size (:func:`bench_main_job`: history load against
    its parse floor, and the weekly report beside the sample's), on ``fleet_workspace`` when given;
    ``report_only`` runs only that (no per-size stages, no sample-report baseline).

    Returns
    -------
    dict
        ``machine``, ``parameters``, ``runs`` (see :func:`bench_sizes`), ``report`` (a stage row or
        None), ``main_job`` (:func:`bench_main_job` or None), ``fleet_report`` (its report row or None)
        and ``scaling`` (see :func:`scaling_rows`).
    """
    machine = machine_info()
    runs = (
        []
        if report_only
        else bench_sizes(
            sizes,
            weeks=weeks,
            edges_per_service=edges_per_service,
            seed=seed,
            sample=sample,
            workdir=workdir,
            progress=progress,
            timeout=timeout,
        )
    )
    skip_report = skip_report or report_only
    report = None if skip_report else bench_weekly_report(workdir=workdir, progress=progress, timeout=timeout)
    # opt-in (minutes): the history load and the fleet's report beside the sample's, cold caches
    main_job = (
        bench_main_job(
            fleet_workspace, services=max(sizes), weeks=weeks, workdir=workdir, progress=progress, timeout=2 * timeout
        )
        if fleet_report or report_only
        else None
    )
    try:
        machine["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    return {
        "machine": machine,
        "parameters": {
            "sizes": list(sizes),
            "weeks": weeks,
            "edges_per_service": edges_per_service,
            "seed": seed,
            "baseline_sample": sample,
            "skip_report": skip_report,
            "stage_timeout_s": timeout,
            "fleet_workspace": str(fleet_workspace) if fleet_workspace is not None else None,
        },
        "runs": runs,
        "report": report,
        "main_job": main_job,
        "fleet_report": main_job["fleet_report"] if main_job else None,
        "scaling": scaling_rows(runs),
    }


def _main(argv: Sequence[str]) -> int:
    """Child entry point: ``python -m meta254lib.devtools.bench STAGE ROOT OPTS_JSON`` prints one JSON line."""
    name, root, opts = argv[0], argv[1], json.loads(argv[2]) if len(argv) > 2 else {}
    out = run_history_stage(name, root, opts) if name in HISTORY_STAGES else run_stage(name, root, opts)
    print(json.dumps(out, default=float, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))

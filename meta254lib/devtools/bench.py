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
history load        every drift report and quality snapshot, cold (parsed) and warm (cached)
graph build         ``ws.graph`` (no baseline; cached after the first build)
blast radius        :func:`~meta254lib.graph.reach.blast_radius_all` on the default relations, vs a
                    per-node ``networkx.ancestors`` loop on a random sample, extrapolated
drift detection     :func:`~meta254lib.drift.engine.detect_drift`, vs
                    :func:`~meta254lib.drift.engine.detect_drift_baseline` (a per-row loop over the
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
>>> growth_exponent(1.0, 4.0, 1000, 4000)
1.0
>>> [r["stage"] for r in STAGES][:2]
['cold load', 'warm load']
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
import json
import math
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "STAGES",
    "TARGETS",
    "bench_sizes",
    "format_scaling",
    "format_table",
    "growth_exponent",
    "machine_info",
    "run_bench",
    "run_stage",
]

#: Stage rows, in table order: key, label, what the baseline is.
STAGES: tuple[dict[str, str], ...] = (
    {"key": "cold_load", "stage": "cold load", "baseline": "bare yaml.load(catalog, CSafeLoader)"},
    {"key": "warm_load", "stage": "warm load", "baseline": "our cold load"},
    {"key": "history_cold", "stage": "history load, cold (every report and snapshot)", "baseline": ""},
    {"key": "history_warm", "stage": "history load, warm", "baseline": "our cold history load"},
    {"key": "graph", "stage": "graph build", "baseline": ""},
    {"key": "blast_radius", "stage": "blast radius, all services", "baseline": "per-node nx.ancestors"},
    {"key": "drift", "stage": "drift detection, all services", "baseline": "per-row loop over catalog dicts"},
    {"key": "trends", "stage": "trends (slopes, regressions, attribution)", "baseline": "per-service np.polyfit"},
    {"key": "drift_flow", "stage": "drift flow and MTTR over the reports", "baseline": ""},
    {"key": "plan", "stage": "plan generation with waves", "baseline": ""},
    {"key": "interactive", "stage": "open (warm) + one service's impact", "baseline": ""},
    {"key": "report", "stage": "weekly report (sample workspace)", "baseline": "papermill + nbconvert CLIs"},
)

#: The stages run in child processes, in this order (``graph`` also times the blast radius).
CHILD_STAGES = (
    "cold_load",
    "warm_load",
    "history_cold",
    "history_warm",
    "graph",
    "drift",
    "trends",
    "drift_flow",
    "plan",
    "interactive",
)

#: Targets of issue 9 for 10,000 services: stage key -> (kind, value). ``max_s``: ours at most that
#: many seconds; ``max_ratio_to_baseline``: ours / baseline at most; ``min_speedup``: baseline / ours
#: at least. The RSS target applies to every stage.
TARGETS: dict[str, tuple[tuple[str, float], ...]] = {
    "cold_load": (("max_ratio_to_baseline", 1.3),),
    "warm_load": (("max_s", 0.5),),
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


def _rss_mb() -> float:
    """Peak resident memory of this process in MB.

    ``VmHWM`` of ``/proc/self/status`` where there is one: it belongs to this program's own memory
    and starts afresh at ``exec``, whereas ``ru_maxrss`` (the fallback) survives ``fork`` + ``exec``
    and would show a bigger parent's peak in every child.
    """
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


class _Clock:
    """Wall and CPU seconds of a block."""

    def __enter__(self) -> _Clock:
        gc.collect()
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0


def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None else round(float(x), nd)


def _catalog_path(root: Path) -> Path:
    for rel in ("catalog/service-index.yaml", "catalog/service-index.json"):
        if (root / rel).is_file():
            return root / rel
    raise FileNotFoundError(root / "catalog/service-index.yaml")


# --- stages (run in a child process) ----------------------------------------------------------------


def _stage_cold(root: Path, opts: Mapping[str, Any]) -> dict[str, Any]:
    import yaml

    from ..workspace.workspace import open_workspace

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    path = _catalog_path(root)
    with _Clock() as floor:
        doc = yaml.load(path.read_bytes(), Loader=loader)  # noqa: S506 - CSafeLoader (or SafeLoader): safe
    n_floor = len(doc.get("services") or [])
    del doc
    with _Clock() as ours:
        ws = open_workspace(root, cache=True)
        sizes = {t: len(getattr(ws, t)) for t in ("services", "contracts", "dependencies", "events")}
    stats = ws.cache_stats or {}
    return {
        "ours_s": ours.wall,
        "ours_cpu_s": ours.cpu,
        "baseline_s": floor.wall,
        "baseline_cpu_s": floor.cpu,
        "rows": sizes,
        "catalog_bytes": path.stat().st_size,
        "catalog_services": n_floor,
        "note": f"cache empty; {stats.get('write', 0)} cache file(s) written during the load",
    }


def _stage_warm(root: Path, opts: Mapping[str, Any]) -> dict[str, Any]:
    from ..workspace.workspace import open_workspace

    with _Clock() as ours:
        ws = open_workspace(root, cache=True)
        sizes = {t: len(getattr(ws, t)) for t in ("services", "contracts", "dependencies", "events")}
    units = (ws.cache_stats or {}).get("units", {})
    hits = sum(1 for v in units.values() if v == "hit")
    return {
        "ours_s": ours.wall,
        "ours_cpu_s": ours.cpu,
        "rows": sizes,
        "note": f"{hits}/{len(units)} cached units hit, {ws.cache_stats['hashed']} file(s) re-hashed",
        "cache_units": units,
    }


def _stage_history(root: Path, opts: Mapping[str, Any]) -> dict[str, Any]:
    from ..workspace.workspace import open_workspace

    ws = open_workspace(root, cache=True)
    ws.services  # noqa: B018 - the catalog tables are not part of this stage
    with _Clock() as ours:
        rows = {"quality_history": len(ws.quality_history), "drift_history": len(ws.drift_history)}
    units = (ws.cache_stats or {}).get("units", {})
    state = {u: units.get(u, "-") for u in ("quality_history", "drift_history")}
    return {
        "ours_s": ours.wall,
        "ours_cpu_s": ours.cpu,
        "rows": rows,
        "note": f"{rows['drift_history']:,} drift-history rows, {rows['quality_history']:,} quality rows; cache: "
        + ", ".join(f"{k} {v}" for k, v in state.items()),
    }


def _stage_graph(root: Path, opts: Mapping[str, Any]) -> dict[str, Any]:
    import networkx as nx

    from ..graph.build import DEFAULT_RELATIONS, relation_view
    from ..graph.reach import blast_radius_all
    from ..workspace.workspace import open_workspace

    ws = open_workspace(root, cache=True)
    ws.services  # noqa: B018 - load the tables before timing the graph
    with _Clock() as build:
        G = ws.graph
    view = relation_view(G, DEFAULT_RELATIONS)
    with _Clock() as ours:
        radius = blast_radius_all(view)
    nodes = list(view.nodes)
    sample = min(int(opts.get("sample", 200)), len(nodes))
    chosen = random.Random(int(opts.get("seed", 254))).sample(nodes, sample)
    with _Clock() as base:
        ref = {n: len(nx.ancestors(view, n)) for n in chosen}
    scale = len(nodes) / max(sample, 1)
    agree = all(int(radius[n]) == ref[n] for n in chosen)
    n_edges = view.number_of_edges()
    sccs = [len(c) for c in nx.strongly_connected_components(view)]
    omitted = G.graph.get("omitted_relations", {})
    return {
        "graph": {
            "ours_s": build.wall,
            "ours_cpu_s": build.cpu,
            "note": f"{G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges"
            + (f"; {', '.join(omitted)} left out ({next(iter(omitted.values()))})" if omitted else ""),
        },
        "blast_radius": {
            "ours_s": ours.wall,
            "ours_cpu_s": ours.cpu,
            "baseline_s": base.wall * scale,
            "baseline_cpu_s": base.cpu * scale,
            "baseline_measured_s": base.wall,
            "baseline_sample": sample,
            "extrapolated": sample < len(nodes),
            "agree": agree,
            "note": (
                f"{'+'.join(DEFAULT_RELATIONS)}: {n_edges:,} edges, largest cycle {max(sccs, default=0)} services, "
                f"mean radius {float(radius.mean()):.0f}; baseline run on {sample:,} random services and "
                f"extrapolated x{scale:.1f}; results agree on the sample: {agree}"
            ),
        },
    }


def _stage_drift(root: Path, opts: Mapping[str, Any]) -> dict[str, Any]:
    from ..drift.engine import DriftInputs, detect_drift, detect_drift_baseline
    from ..workspace.workspace import open_workspace
    from ..workspace.yamlio import loads_json, loads_yaml

    ws = open_workspace(root, cache=True)
    as_of = ws.resolve_as_of()
    with _Clock() as prep:
        inputs = DriftInputs.from_workspace(ws)
    with _Clock() as ours:
        result = detect_drift(inputs, as_of=as_of)
    with _Clock() as detectors:
        detect_drift(dataclasses.replace(inputs, history=None), as_of=as_of)
    # raw documents for the baseline (read outside the timing, as the baseline's caller would)
    catalog = {"services": list(ws.catalog_entries)}
    specs = None
    if ws.has_input("spec_registry"):
        specs = loads_json((root / "config/specs-index.json").read_bytes(), "specs")
    registry = None
    if ws.has_input("events_registry"):
        reg = loads_yaml((root / "config/events-registry.yaml").read_bytes(), "registry", [])
        registry = reg.get("events") if isinstance(reg, dict) else reg
    locks = {}
    for path in sorted((root / "manifests/collected").glob("*.specs.lock.json")):
        locks[path.name.removesuffix(".specs.lock.json")] = loads_json(path.read_bytes(), path.name)
    advisories = [loads_json(p.read_bytes(), p.name) for p in sorted((root / "advisories").glob("*.json"))]
    with _Clock() as base:
        ref = detect_drift_baseline(
            catalog,
            as_of=as_of,
            specs_index=specs,
            events_registry=registry,
            lockfiles=locks if locks else None,
            advisories=advisories,
            aliases=ws.aliases,
            policy=inputs.policy,
        )
    ours_ids = set(result.issues["id"])
    ref_ids = set(ref["id"])
    return {
        "ours_s": ours.wall,
        "ours_cpu_s": ours.cpu,
        "baseline_s": base.wall,
        "baseline_cpu_s": base.cpu,
        "prep_s": prep.wall,
        "agree": ours_ids == ref_ids,
        "note": f"{len(result.issues):,} issues over {result.services:,} services, each dated from the report "
        f"history; the detectors alone take {detectors.wall:.2f} s (the baseline has no history dating); "
        f"baseline finds {len(ref):,} issues ({len(ours_ids ^ ref_ids):,} ids differ)",
        "detectors_s": detectors.wall,
    }


def _stage_trends(root: Path, opts: Mapping[str, Any]) -> dict[str, Any]:
    import numpy as np

    from ..quality.trends import quality_trends, trends_baseline_polyfit
    from ..workspace.workspace import open_workspace

    ws = open_workspace(root, cache=True)
    with _Clock() as prep:
        history = ws.quality_history
        services = ws.services
    weeks = int(opts.get("weeks", 52))
    as_of = ws.resolve_as_of()
    with _Clock() as ours:
        report = quality_trends(history, as_of=as_of, weeks=weeks, services=services)
    with _Clock() as base:
        ref = trends_baseline_polyfit(history, as_of=as_of, weeks=weeks)
    sv = report.services.set_index("service")
    col = next((c for c in ("slope_per_week", "slope") if c in sv.columns), None)
    agree = None
    if col is not None and len(ref):
        mine = sv[col].reindex(ref["service"]).to_numpy(dtype="float64")
        theirs = ref["slope_per_week"].to_numpy(dtype="float64")
        agree = bool(np.allclose(mine, theirs, atol=1e-6, equal_nan=True))
    return {
        "ours_s": ours.wall,
        "ours_cpu_s": ours.cpu,
        "baseline_s": base.wall,
        "baseline_cpu_s": base.cpu,
        "prep_s": prep.wall,
        "agree": agree,
        "note": f"{len(history):,} snapshot rows, {weeks} weeks, {len(report.services):,} services, "
        f"{len(report.regressions):,} regressions, {len(report.attribution):,} attribution rows; "
        "the baseline computes the slopes only",
    }


def _stage_drift_flow(root: Path, opts: Mapping[str, Any]) -> dict[str, Any]:
    from ..quality.trends import drift_mttr, drift_weekly
    from ..workspace.workspace import open_workspace

    ws = open_workspace(root, cache=True)
    history = ws.drift_history
    as_of = ws.resolve_as_of()
    weeks = int(opts.get("weeks", 52))
    with _Clock() as ours:
        weekly = drift_weekly(history, as_of=as_of, weeks=weeks)
        mttr = drift_mttr(history, as_of=as_of)
    return {
        "ours_s": ours.wall,
        "ours_cpu_s": ours.cpu,
        "note": f"{len(history):,} history rows: {len(weekly):,} weekly backlog rows, {len(mttr):,} MTTR rows",
    }


def _stage_plan(root: Path, opts: Mapping[str, Any]) -> dict[str, Any]:
    from ..remediation.plan import PlanInputs, build_plan
    from ..workspace.workspace import open_workspace

    ws = open_workspace(root, cache=True)
    as_of = ws.resolve_as_of()
    with _Clock() as prep:
        inputs = PlanInputs.from_workspace(ws, as_of)
    with _Clock() as ours:
        plan = build_plan(inputs, as_of=as_of)
    return {
        "ours_s": ours.wall,
        "ours_cpu_s": ours.cpu,
        "prep_s": prep.wall,
        "note": f"{len(plan.items):,} items in {len(plan.waves):,} waves; inputs (drift run, quality, "
        f"policy) took {prep.wall:.2f} s before that",
    }


def _stage_interactive(root: Path, opts: Mapping[str, Any]) -> dict[str, Any]:
    from ..impact.analysis import workspace_impact
    from ..workspace.workspace import open_workspace

    # an earlier session: it picks the service and leaves the cache warm (catalog tables, graph and the
    # newest quality snapshot and drift report), as any earlier impact question in JupyterLab would
    ws = open_workspace(root, cache=True)
    deps = ws.dependencies
    internal = deps[deps["kind"] == "internal"]
    counts = internal["target"].value_counts().sort_index()
    target = str(counts.idxmax()) if len(counts) else str(ws.services["service"].iloc[0])
    ws.graph  # noqa: B018
    ws.history_heads()
    del ws, deps, internal, counts
    marks = [time.perf_counter()]
    with _Clock() as ours:
        ws = open_workspace(root, cache=True)
        ws.services  # noqa: B018 - each step timed on its own below
        marks.append(time.perf_counter())
        ws.graph  # noqa: B018
        marks.append(time.perf_counter())
        ws.history_heads()  # what the weights need: the newest quality snapshot and drift report
        ws.aliases  # noqa: B018
        marks.append(time.perf_counter())
        result = workspace_impact(ws, [f"service:{target}"])
        marks.append(time.perf_counter())
    steps = [b - a for a, b in itertools.pairwise(marks)]
    full = [name for name in ("quality_history", "drift_history") if name in ws.__dict__]
    units = (ws.cache_stats or {}).get("units", {})
    hits = sum(1 for v in units.values() if v == "hit")
    return {
        "ours_s": ours.wall,
        "ours_cpu_s": ours.cpu,
        "steps_s": steps,
        "note": f"the most depended-on service ({target}): {len(result.impacted):,} impacted services; open "
        f"{steps[0]:.2f} s + graph {steps[1]:.2f} s + newest quality snapshot and drift report (for the weights) "
        f"{steps[2]:.2f} s + impact {steps[3]:.2f} s; cache: {hits}/{len(units)} units hit"
        + (f"; it read the full {' and '.join(full)}" if full else ""),
        "cache_units": units,
    }


_STAGE_FUNCS: dict[str, Callable[[Path, Mapping[str, Any]], dict[str, Any]]] = {
    "cold_load": _stage_cold,
    "warm_load": _stage_warm,
    "history_cold": _stage_history,
    "history_warm": _stage_history,
    "drift_flow": _stage_drift_flow,
    "graph": _stage_graph,
    "drift": _stage_drift,
    "trends": _stage_trends,
    "plan": _stage_plan,
    "interactive": _stage_interactive,
}


def run_stage(name: str, root: Path | str, opts: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Run one stage in this process and return its measurements (plus ``peak_rss_mb``).

    ``graph`` returns two rows (``graph`` and ``blast_radius``) keyed by stage.
    """
    if name not in _STAGE_FUNCS:
        raise ValueError(f"unknown stage {name!r}")
    out = _STAGE_FUNCS[name](Path(root), opts or {})
    out["peak_rss_mb"] = _rss_mb()
    return out


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
        "ours_s": _r(ours),
        "ours_cpu_s": _r(got.get("ours_cpu_s")),
        "baseline": meta["baseline"] if base is not None else "",
        "baseline_s": _r(base),
        "baseline_cpu_s": _r(got.get("baseline_cpu_s")),
        "speedup": _r(base / ours, 2) if ours and base else None,
        "peak_rss_mb": rss,
        "note": got.get("note", got.get("error", "")),
    }
    for k in ("agree", "extrapolated", "baseline_sample", "prep_s", "error"):
        if k in got:
            row[k] = got[k] if not isinstance(got[k], float) else _r(got[k])
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
            got = _r(ours / base, 2) if ours and base else None
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
            got: dict[str, dict[str, Any]] = {}
            for name in CHILD_STAGES:
                say(f"[{n:,} services] {name.replace('_', ' ')}...")
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
                    got[warm]["baseline_s"] = got[cold].get("ours_s")
                    got[warm]["baseline_cpu_s"] = got[cold].get("ours_cpu_s")
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
                    "generate_s": _r(gen_s, 2),
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


def _stage_report(root: Path, opts: Mapping[str, Any]) -> dict[str, Any]:
    from ..report.run import bench_report

    got = bench_report(root, jobs=opts.get("jobs"))
    return {
        "ours_s": got["report_seconds"],
        "baseline_s": got["baseline_seconds"],
        "note": f"{got['notebooks']} notebooks, {got['jobs']} parallel kernel(s), report ok: {got['report_ok']}, "
        f"{got['report_bytes'] / 1e6:.1f} MB; peak RSS is the process that drives both runs (kernels and the "
        "CLIs run in their own processes)",
    }


_STAGE_FUNCS["report"] = _stage_report


def _stage_generate(root: Path, opts: Mapping[str, Any]) -> dict[str, Any]:
    from .sample import generate_sample

    return generate_sample(root, **{k: opts[k] for k in ("services", "weeks", "seed", "internal_edges")})


_STAGE_FUNCS["generate"] = _stage_generate


def bench_weekly_report(
    *,
    workdir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    jobs: int | None = None,
    timeout: float = 900.0,
) -> dict[str, Any]:
    """The weekly report on the default sample workspace vs the naive CLI baseline (see
    :func:`meta254lib.report.run.bench_report`), run in a child process like the other stages."""
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
) -> dict[str, Any]:
    """The whole benchmark: machine, one run per size, the weekly report, and the scaling table.

    Returns
    -------
    dict
        ``machine``, ``parameters``, ``runs`` (see :func:`bench_sizes`), ``report`` (a stage row or
        None) and ``scaling`` (see :func:`scaling_rows`).
    """
    machine = machine_info()
    runs = bench_sizes(
        sizes,
        weeks=weeks,
        edges_per_service=edges_per_service,
        seed=seed,
        sample=sample,
        workdir=workdir,
        progress=progress,
        timeout=timeout,
    )
    report = None if skip_report else bench_weekly_report(workdir=workdir, progress=progress, timeout=timeout)
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
        },
        "runs": runs,
        "report": report,
        "scaling": scaling_rows(runs),
    }


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
    """The stage table as aligned text (stage, ours, baseline, ratio, peak RSS, targets)."""
    header = ("stage", "ours s", "baseline s", "baseline", "ratio", "peak RSS MB", "targets")
    lines = []
    for r in rows:
        sp = r.get("speedup")
        ratio = "-" if not sp else (f"{sp:.2f}x" if sp < 10 else f"{sp:.0f}x")
        if r["key"] == "cold_load" and r.get("ours_s") and r.get("baseline_s"):
            ratio = f"{r['ours_s'] / r['baseline_s']:.2f}x floor"
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


def _main(argv: Sequence[str]) -> int:
    """Child entry point: ``python -m meta254lib.devtools.bench STAGE ROOT OPTS_JSON`` prints one JSON line."""
    name, root, opts = argv[0], argv[1], json.loads(argv[2]) if len(argv) > 2 else {}
    out = run_stage(name, root, opts)
    print(json.dumps(out, default=float, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))

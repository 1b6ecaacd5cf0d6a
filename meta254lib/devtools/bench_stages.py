"""The bench's stages: each times one piece of meta254 (and its naive baseline) in this process.

:func:`run_stage` runs one stage by key; :mod:`meta254lib.devtools.bench` starts each in a fresh child
process and collects the JSON line it prints.
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
import os
import random
import resource
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["CHILD_STAGES", "STAGES", "run_stage"]

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


class Clock:
    """Wall and CPU seconds of a block, and the CPU seconds of it spent in the kernel (``sys``).

    On the 2-core VMs most kernel time is page faults on memory the host has taken back (see
    docs/performance.md), so ``sys`` tells a slow run from a slow code path.

    Examples
    --------
    >>> with Clock() as c:
    ...     _ = sum(range(1000))
    >>> 0 <= c.sys <= c.cpu and c.wall >= 0
    True
    """

    def __enter__(self) -> Clock:
        gc.collect()
        self.wall0, self.cpu0, self.sys0 = time.perf_counter(), time.process_time(), os.times().system
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0
        self.sys = max(0.0, os.times().system - self.sys0)


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
    with Clock() as floor:
        doc = yaml.load(path.read_bytes(), Loader=loader)  # noqa: S506 - CSafeLoader (or SafeLoader): safe
    n_floor = len(doc.get("services") or [])
    del doc
    with Clock() as ours:
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

    with Clock() as ours:
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
    with Clock() as ours:
        rows = {"quality_history": len(ws.quality_history), "drift_history": len(ws.drift_history)}
    units = (ws.cache_stats or {}).get("units", {})
    state = {u: units.get(u, "-") for u in ("quality_history", "drift_history")}
    return {
        "ours_s": ours.wall,
        "ours_cpu_s": ours.cpu,
        "ours_sys_s": ours.sys,
        "rows": rows,
        "note": f"{rows['drift_history']:,} drift-history rows, {rows['quality_history']:,} quality rows; cache: "
        + ", ".join(f"{k} {v}" for k, v in state.items())
        + f"; {ours.sys:.2f} s in the kernel",
    }


def _stage_graph(root: Path, opts: Mapping[str, Any]) -> dict[str, Any]:
    import networkx as nx

    from ..graph.attrs import omitted_relations
    from ..graph.build import DEFAULT_RELATIONS, relation_view
    from ..graph.reach import blast_radius_all
    from ..workspace.workspace import open_workspace

    ws = open_workspace(root, cache=True)
    ws.services  # noqa: B018 - load the tables before timing the graph
    with Clock() as build:
        G = ws.graph
    view = relation_view(G, DEFAULT_RELATIONS)
    with Clock() as ours:
        radius = blast_radius_all(view)
    nodes = list(view.nodes)
    sample = min(int(opts.get("sample", 200)), len(nodes))
    chosen = random.Random(int(opts.get("seed", 254))).sample(nodes, sample)
    with Clock() as base:
        ref = {n: len(nx.ancestors(view, n)) for n in chosen}
    scale = len(nodes) / max(sample, 1)
    agree = all(int(radius[n]) == ref[n] for n in chosen)
    n_edges = view.number_of_edges()
    sccs = [len(c) for c in nx.strongly_connected_components(view)]
    omitted = omitted_relations(G)
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
    from ..drift.engine import detect_drift
    from ..drift.inputs import DriftInputs
    from ..workspace.workspace import open_workspace
    from ..workspace.yamlio import loads_json, loads_yaml
    from .baselines.drift import detect_drift_baseline

    ws = open_workspace(root, cache=True)
    as_of = ws.resolve_as_of()
    with Clock() as prep:
        inputs = DriftInputs.from_workspace(ws)
    with Clock() as ours:
        result = detect_drift(inputs, as_of=as_of)
    with Clock() as detectors:
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
    with Clock() as base:
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

    from ..quality.trends import quality_trends
    from ..workspace.workspace import open_workspace
    from .baselines.trends import trends_baseline_polyfit

    ws = open_workspace(root, cache=True)
    with Clock() as prep:
        history = ws.quality_history
        services = ws.services
    weeks = int(opts.get("weeks", 52))
    as_of = ws.resolve_as_of()
    with Clock() as ours:
        report = quality_trends(history, as_of=as_of, weeks=weeks, services=services)
    with Clock() as base:
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
    from ..quality.drift_trends import drift_mttr, drift_weekly
    from ..workspace.workspace import open_workspace

    ws = open_workspace(root, cache=True)
    history = ws.drift_history
    as_of = ws.resolve_as_of()
    weeks = int(opts.get("weeks", 52))
    with Clock() as ours:
        weekly = drift_weekly(history, as_of=as_of, weeks=weeks)
        mttr = drift_mttr(history, as_of=as_of)
    return {
        "ours_s": ours.wall,
        "ours_cpu_s": ours.cpu,
        "note": f"{len(history):,} history rows: {len(weekly):,} weekly backlog rows, {len(mttr):,} MTTR rows",
    }


def _stage_plan(root: Path, opts: Mapping[str, Any]) -> dict[str, Any]:
    from ..remediation.inputs import PlanInputs
    from ..remediation.plan import build_plan
    from ..workspace.workspace import open_workspace

    ws = open_workspace(root, cache=True)
    as_of = ws.resolve_as_of()
    with Clock() as prep:
        inputs = PlanInputs.from_workspace(ws, as_of)
    with Clock() as ours:
        plan = build_plan(inputs, as_of=as_of)
    return {
        "ours_s": ours.wall,
        "ours_cpu_s": ours.cpu,
        "prep_s": prep.wall,
        "note": f"{len(plan.items):,} items in {len(plan.waves):,} waves; inputs (drift run, quality, "
        f"policy) took {prep.wall:.2f} s before that",
    }


def _stage_interactive(root: Path, opts: Mapping[str, Any]) -> dict[str, Any]:
    from ..impact.from_workspace import workspace_impact
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
    with Clock() as ours:
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


def _stage_report(root: Path, opts: Mapping[str, Any]) -> dict[str, Any]:
    from .baselines.report import bench_report

    got = bench_report(root, jobs=opts.get("jobs"))
    return {
        "ours_s": got["report_seconds"],
        "baseline_s": got["baseline_seconds"],
        "note": f"{got['notebooks']} notebooks, {got['jobs']} parallel kernel(s), report ok: {got['report_ok']}, "
        f"{got['report_bytes'] / 1e6:.1f} MB; peak RSS is the process that drives both runs (kernels and the "
        "CLIs run in their own processes)",
    }


def _stage_generate(root: Path, opts: Mapping[str, Any]) -> dict[str, Any]:
    from .sample import generate_sample

    return generate_sample(root, **{k: opts[k] for k in ("services", "weeks", "seed", "internal_edges")})


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
    "report": _stage_report,
    "generate": _stage_generate,
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

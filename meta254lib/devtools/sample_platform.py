"""Build the simulated platform: specs, the curated core, the generated fleet, the event registry."""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from ..core.errors import ParameterError
from . import sample_content as C
from .sample_model import Platform, Release, SimService, Spec, cached_version, split_words, sub_rng
from .sample_service import advisory_sources, external_upgrades, pin_timeline, plan_deploys, quality_series

__all__ = ["build_platform"]


def _build_specs(seed: int, plat_day: Callable[[float], datetime], n_extra: int) -> dict[str, Spec]:
    specs: dict[str, Spec] = {}
    for name, (desc, hist, deprecated, removed) in C.SPECS.items():
        rels = [Release(v, plat_day(d), tuple(split_words(c)), cached_version(v)) for v, d, c in hist]
        specs[name] = Spec(name, desc, rels, deprecated, removed, name in C.UPSTREAM_SHAPE_SPECS)
    rng = sub_rng(seed, "fleet-specs")
    for j in range(n_extra):
        domain = C.LAYERS[j % len(C.LAYERS)]
        name = f"{C.ABBR[domain]}-{C.NOUNS[j % len(C.NOUNS)]}-api-{j:03d}"
        major, minor, patch = rng.randint(1, 3), rng.randint(0, 4), 0
        day = rng.randint(420, 640)
        rels = [Release(f"{major}.{minor}.0", plat_day(day), ("feature",), cached_version(f"{major}.{minor}.0"))]
        for _ in range(rng.randint(2, 6)):
            day -= rng.randint(20, 110)
            if day < 3:
                break
            tags = rng.choice(("feature", "bugfix", "feature performance", "docs", "security bugfix"))
            if "feature" in tags:
                minor, patch = minor + 1, 0
            else:
                patch += 1
            version = f"{major}.{minor}.{patch}"
            rels.append(Release(version, plat_day(day), tuple(tags.split()), cached_version(version)))
        day -= rng.randint(20, 110)
        if rng.random() < 0.3 and day > 3:
            rels.append(
                Release(f"{major + 1}.0.0", plat_day(day), ("breaking", "feature"), cached_version(f"{major + 1}.0.0"))
            )
        specs[name] = Spec(name, f"Fleet contract {j:03d} ({domain})", rels, (rels[0].version,), ())
    return specs


def _select_core(n: int) -> list[C.ServiceDef]:
    finals = [d for d in C.CORE if d.name != C.RETIRED]
    chosen = finals[: min(n, len(finals))]
    retired = next(d for d in C.CORE if d.name == C.RETIRED)
    return sorted([*chosen, retired], key=lambda d: d.name)


def _fleet_edges(
    rng: random.Random, n_fleet: int, budget: int, core_by_layer: dict[int, list[str]], layer_of: list[int]
) -> list[list[int | str]]:
    """Internal dependencies of fleet services: mostly ``u -> u - randint(1, 30)``, a few to the core."""
    counts = [budget // n_fleet] * n_fleet if n_fleet else []
    for u in rng.sample(range(n_fleet), budget - sum(counts)) if n_fleet else []:
        counts[u] += 1
    # spread counts: move some edges from one service to another to vary fan-out
    for _ in range(n_fleet // 2):
        a, b = rng.randrange(n_fleet), rng.randrange(n_fleet)
        if counts[a] > 1 and counts[b] < 8:
            counts[a] -= 1
            counts[b] += 1
    out: list[list[int | str]] = []
    for u in range(n_fleet):
        want = counts[u]
        lo = max(0, u - 30)
        local = list(range(lo, u))
        n_local = min(len(local), want - (1 if want >= 3 and rng.random() < 0.15 else 0))
        targets: list[int | str] = sorted(rng.sample(local, n_local), reverse=True)
        pool = [s for lay in range(layer_of[u] + 1) for s in core_by_layer.get(lay, [])]
        while len(targets) < want and pool:
            pick = rng.choice(pool)
            if pick not in targets:
                targets.append(pick)
        out.append(targets)
    return out


def build_platform(services: int, n_weeks: int, seed: int, end: date, internal_edges: int | None) -> Platform:
    """Simulate the whole platform: specs, services with their lifecycle plants, timelines, registry."""
    weeks = _week_times(end, n_weeks, seed)
    n_core = min(services, len(C.CORE) - 1)
    n_fleet = services - n_core
    plat = Platform(seed, end, weeks, datetime.combine(end, time(6, 0), tzinfo=UTC), {}, [], {}, [])
    plat.specs = _build_specs(seed, plat.day, n_fleet // 250)
    plat.advisories = [dict(a) for a in C.ADVISORIES]
    frac = _week_fraction(weeks)
    svcs = _core_services(_select_core(n_core))
    by_name = {s.name: s for s in svcs}
    _plant_lifecycle(plat, by_name, frac)
    if n_fleet:
        svcs.extend(_build_fleet(plat, n_fleet, internal_edges, svcs, seed))
    elif internal_edges is not None:
        have = sum(len(s.deps) for s in svcs if s.retired is None)
        if internal_edges != have:
            raise ParameterError(
                f"internal_edges={internal_edges} needs more than {len(C.CORE) - 1} services; "
                f"the curated platform of {n_core} services has {have} internal edges"
            )
    svcs.sort(key=lambda s: s.name)
    plat.services = svcs
    for svc in svcs:
        _service_timelines(plat, svc, frac)
    # the invalid pin (a few weeks, long before the end)
    slo = by_name.get(C.INVALID_PIN[0])
    if slo is not None and n_weeks >= 8:
        for pin in slo.pins:
            if pin.spec == C.INVALID_PIN[1]:
                pin.override = (frac(0.2), frac(0.3), C.INVALID_PIN[2])
    plat.registry = _build_registry(plat, svcs, seed)
    for svc in svcs:
        svc.adv_sources = advisory_sources(plat, svc)
    _plant_lock_mismatch(plat)
    return plat


def _week_times(end: date, n_weeks: int, seed: int) -> list[datetime]:
    """The run time of each weekly drift/quality job, oldest first, the newest on ``end``."""
    week_rng = sub_rng(seed, "weeks")
    weeks = []
    for k in range(n_weeks):
        d = end - timedelta(days=7 * (n_weeks - 1 - k))
        weeks.append(
            datetime.combine(
                d, time(5, week_rng.randint(2, 24), week_rng.randint(0, 59), week_rng.randint(0, 999999)), tzinfo=UTC
            )
        )
    return weeks


def _week_fraction(weeks: list[datetime]) -> Callable[[float], datetime]:
    """The time a fraction ``x`` of the way from the first week to the last (a week when there is one)."""
    span = (weeks[-1] - weeks[0]) if len(weeks) > 1 else timedelta(days=7)

    def frac(x: float) -> datetime:
        return weeks[0] + span * x

    return frac


def _core_services(defs: list[C.ServiceDef]) -> list[SimService]:
    """The curated services, their dependencies limited to the services selected."""
    present = {d.name for d in defs}
    return [
        SimService(
            d.name,
            d.domain,
            d.runtime,
            d.maturity,
            C.TEAM_OVERRIDE.get(d.name, C.DOMAIN_TEAM[d.domain]),
            [x for x in split_words(d.deps) if x in present],
            split_words(d.ext),
            split_words(d.ein),
            split_words(d.eout),
            split_words(d.specs),
        )
        for d in defs
    ]


def _plant_lifecycle(plat: Platform, by_name: dict[str, SimService], frac: Callable[[float], datetime]) -> None:
    """Plant the lifecycle cases: a retired, an added, stale and promoted services, a late and a dangling edge."""
    weeks, n_weeks = plat.weeks, len(plat.weeks)
    retired = by_name[C.RETIRED]
    retired.retired = weeks[n_weeks // 3] - timedelta(days=3) if n_weeks >= 3 else weeks[0] - timedelta(days=1)
    if C.ADDED in by_name:
        by_name[C.ADDED].born = (weeks[n_weeks // 2] - timedelta(days=2, hours=5)) if n_weeks >= 2 else None
    for name, days in C.STALE_DAYS.items():
        if name in by_name:
            by_name[name].active_until = plat.day(days, 15) + timedelta(minutes=17, seconds=42, microseconds=318204)
    if C.PROMOTED[0] in by_name and n_weeks >= 2:
        by_name[C.PROMOTED[0]].maturity_change = (frac(0.6) - timedelta(days=1), C.PROMOTED[1])
    if C.LATE_EDGE[0] in by_name and C.LATE_EDGE[1] in by_name[C.LATE_EDGE[0]].deps and n_weeks >= 2:
        by_name[C.LATE_EDGE[0]].dep_added[C.LATE_EDGE[1]] = weeks[-1] - timedelta(days=3)
    # the market-data-api keeps pointing at the retired service: a dangling dependency
    if "market-data-api" in by_name and C.RETIRED not in by_name["market-data-api"].deps:
        by_name["market-data-api"].deps.insert(0, C.RETIRED)


def _service_timelines(plat: Platform, svc: SimService, frac: Callable[[float], datetime]) -> None:
    """One service's pins, external upgrades, deployments, path, lock file and quality inputs."""
    weeks, n_weeks = plat.weeks, len(plat.weeks)
    t0, end_t = weeks[0] - timedelta(hours=12), weeks[-1]
    rng = sub_rng(plat.seed, "svc", svc.name)
    slowness = rng.choice((0.6, 0.8, 1.0, 1.0, 1.2, 1.6))
    start = svc.born or t0
    until = min(end_t, svc.active_until or end_t, svc.retired or end_t)
    for spec_name in svc.specs:
        spec = plat.specs[spec_name]
        pin = pin_timeline(
            rng,
            spec,
            start,
            until,
            slowness,
            frozen=C.FROZEN_PINS.get((svc.name, spec_name)),
            no_major=(svc.name, spec_name) in C.NO_MAJOR or (svc.fleet and rng.random() < 0.3),
        )
        svc.pins.append(pin)
    external_upgrades(plat, svc, until)
    plan_deploys(rng, svc, t0, end_t, [t for p in svc.pins for t in p.times[1:]] + [c[0] for c in svc.ext_changes])
    svc.path = f"services/{svc.name}" if rng.random() < 0.6 else f"service_{svc.name.replace('-', '_')}"
    if svc.pins:
        if svc.name in C.MISSING_LOCKS or (svc.fleet and rng.random() < 0.03):
            svc.lock_from = None
        elif svc.name in C.LATE_LOCKS and n_weeks >= 3:
            svc.lock_from = frac(C.LATE_LOCKS[svc.name])
        elif svc.fleet and rng.random() < 0.02 and n_weeks >= 3:
            svc.lock_from = frac(rng.uniform(0.2, 0.9))
        else:
            svc.lock_from = start
    quality_series(rng, svc, n_weeks)


def _build_fleet(
    plat: Platform, n_fleet: int, internal_edges: int | None, core: list[SimService], seed: int
) -> list[SimService]:
    """Generated services ordered by domain layer (index order = layer order), with their edges."""
    rng = sub_rng(seed, "fleet")
    layer_index = {d: i for i, d in enumerate(C.LAYERS)}
    bounds, acc = [], 0.0
    for share in C.FLEET_SHARE:
        acc += share
        bounds.append(acc)
    layer_of = [min(bisect.bisect_right(bounds, (u + 0.5) / n_fleet), len(C.LAYERS) - 1) for u in range(n_fleet)]
    core_by_layer: dict[int, list[str]] = {}
    for s in core:
        if s.retired is None and s.born is None:
            core_by_layer.setdefault(layer_index[s.domain], []).append(s.name)
    core_edges = sum(len(s.deps) for s in core if s.name != C.RETIRED)
    n_cycles = 3 if n_fleet >= 100 else 0
    total = internal_edges if internal_edges is not None else core_edges + 3 * n_fleet
    budget = total - core_edges - n_cycles
    if budget < 0:
        raise ParameterError(
            f"internal_edges={internal_edges} is below the {core_edges + n_cycles} edges the "
            f"curated platform and the fleet's cycles need"
        )
    names = [f"{C.ABBR[C.LAYERS[layer_of[u]]]}-{rng.choice(C.NOUNS)}-{u:05d}" for u in range(n_fleet)]
    edges = _fleet_edges(rng, n_fleet, budget, core_by_layer, layer_of)
    # a few cycles: close u -> w -> x with x -> u (all in one domain)
    for _ in range(n_cycles):
        for _attempt in range(1000):
            u = rng.randrange(n_fleet)
            ws = [w for w in edges[u] if isinstance(w, int) and layer_of[w] == layer_of[u]]
            if not ws:
                continue
            w = ws[0]
            xs = [x for x in edges[w] if isinstance(x, int) and layer_of[x] == layer_of[u] and u not in edges[x]]
            if xs:
                edges[xs[0]].append(u)
                break
    fleet_specs = list(plat.specs)
    events_out: list[str] = []
    out: list[SimService] = []
    for u in range(n_fleet):
        domain = C.LAYERS[layer_of[u]]
        deps = [names[x] if isinstance(x, int) else x for x in edges[u]]
        ext: list[str] = []
        for e in rng.sample(C.FLEET_EXTERNALS, rng.choice((0, 1, 1, 2, 2, 3))):
            if all(x.split("@")[0] != e.split("@")[0] for x in ext):  # one spelling per technology
                ext.append(e)
        specs = rng.sample(fleet_specs, rng.choice((1, 1, 2, 2, 3)))
        eout = [f"{C.ABBR[domain]}.{names[u].split('-')[1]}-{u:05d}.updated.v1"] if rng.random() < 0.6 else []
        ein = rng.sample(events_out[-200:], min(len(events_out[-200:]), rng.choice((0, 1, 1, 2))))
        events_out.extend(eout)
        maturity = rng.choices(("stable", "beta", "experimental", "deprecated"), weights=(35, 40, 20, 5))[0]
        runtime = rng.choices(C.RUNTIMES, weights=(35, 25, 20, 20))[0]
        svc = SimService(
            names[u], domain, runtime, maturity, C.DOMAIN_TEAM[domain], deps, ext, ein, eout, specs, fleet=True
        )
        if rng.random() < 0.03:
            svc.active_until = plat.day(rng.randint(95, 260), 14)
        out.append(svc)
    return out


def _build_registry(plat: Platform, svcs: list[SimService], seed: int) -> dict[str, datetime | None]:
    rng = sub_rng(seed, "events")
    used: list[str] = []
    seen: set[str] = set()
    for s in svcs:
        for e in (*s.ein, *s.eout):
            if e not in seen:
                seen.add(e)
                used.append(e)
    fleet_events = {e for s in svcs if s.fleet for e in s.eout}
    reg: dict[str, datetime | None] = {}
    long_ago = plat.day(800)
    added = next((s for s in svcs if s.name == C.ADDED), None)
    for e in sorted(used):
        if e in C.EVENT_NEVER:
            reg[e] = None
        elif e in C.EVENT_REGISTERED_LATE:
            reg[e] = plat.day(C.EVENT_REGISTERED_LATE[e], 10)
        elif e == "market.spp.raw.v1" and added is not None and added.born is not None:
            reg[e] = added.born + timedelta(days=21)
        elif e in fleet_events:
            r = rng.random()
            reg[e] = (
                None
                if r < 0.02
                else (plat.weeks[0] + (plat.weeks[-1] - plat.weeks[0]) * rng.random() if r < 0.03 else long_ago)
            )
        else:
            reg[e] = long_ago
    for e in C.EVENT_UNUSED:
        reg[e] = long_ago
    return reg


def _plant_lock_mismatch(plat: Platform) -> None:
    """Exactly one lock pins the version before the manifest's (the lock was not regenerated)."""
    end_t = plat.weeks[-1]
    preferred = ("price-enricher", "curve-aggregator", "risk-analytics")
    candidates = sorted(
        (s for s in plat.services if s.present(end_t) and s.has_lock(end_t) and s.pins),
        key=lambda s: (s.name not in preferred, preferred.index(s.name) if s.name in preferred else 0, s.name),
    )
    for s in candidates:
        for pin in s.pins:
            if len(pin.versions) >= 2:
                plat.lock_mismatch = (s.name, pin.spec, pin.versions[-2])
                return
    for s in candidates:  # no upgrade anywhere: lock an older release of the spec
        pin = s.pins[0]
        older = [r.version for r in plat.specs[pin.spec]._finals if r.sv < cached_version(pin.versions[-1])]
        if older:
            plat.lock_mismatch = (s.name, pin.spec, older[-1])
            return

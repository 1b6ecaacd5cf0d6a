"""One simulated service's timelines: spec adoption, deploys, external upgrades, quality inputs, advisories."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from ..core.versions import SemVer
from . import sample_content as C
from .sample_model import Pin, Platform, Release, SimService, Spec, cached_version, sub_rng

__all__ = [
    "advisory_affects",
    "advisory_hits",
    "advisory_sources",
    "delay_days",
    "external_upgrades",
    "pin_timeline",
    "plan_deploys",
    "quality_series",
]


# --- building ----------------------------------------------------------------------------------------
def delay_days(rng: random.Random, changes: tuple[str, ...], slowness: float) -> float | None:
    """Days a service takes to adopt a release (None: not within the window)."""
    r = rng.random() * slowness
    if "security" in changes:
        table = ((0.55, 0, 6), (0.85, 7, 30), (0.95, 31, 90))
    elif "breaking" in changes:
        table = ((0.10, 0, 14), (0.40, 15, 60), (0.70, 61, 150))
    else:
        table = ((0.35, 0, 6), (0.70, 7, 35), (0.85, 36, 120))
    for cut, lo, hi in table:
        if r < cut:
            return rng.uniform(lo, hi)
    return None


def pin_timeline(
    rng: random.Random,
    spec: Spec,
    t0: datetime,
    until: datetime,
    slowness: float,
    *,
    frozen: str | None = None,
    no_major: bool = False,
) -> Pin:
    """When a service moves its pin of ``spec`` to which version, from ``t0`` until ``until``."""
    if frozen is not None:
        return Pin(spec.name, [t0], [frozen])
    known = [r for r in spec._finals if r.when <= t0 and r.version not in spec.removed]
    if not known:
        known = spec._finals[:1]
    ordered = sorted(known, key=lambda r: r.sv.key)
    lag = rng.choices((0, 1, 2), weights=(0.6, 0.28, 0.12))[0]
    if t0 > until:  # never deploys in the window: keep whatever it had
        lag = min(2, len(ordered) - 1)
    init = ordered[max(0, len(ordered) - 1 - lag)]
    times, versions, cur = [t0], [init.version], init
    upgrades: list[tuple[datetime, Release]] = []
    for r in spec._finals:
        if r.sv <= init.sv or (no_major and r.sv.major > init.sv.major):
            continue
        delay = delay_days(rng, r.changes, slowness)
        if delay is None:
            continue
        when = max(r.when, t0) + timedelta(days=delay)
        when = when.replace(
            hour=rng.randint(8, 18),
            minute=rng.randint(0, 59),
            second=rng.randint(0, 59),
            microsecond=rng.randint(0, 999999),
        )
        if when <= until:
            upgrades.append((when, r))
    upgrades.sort(key=lambda x: (x[0], x[1].sv.key))
    for when, r in upgrades:
        if r.sv > cur.sv:
            times.append(when)
            versions.append(r.version)
            cur = r
    return Pin(spec.name, times, versions)


def plan_deploys(rng: random.Random, svc: SimService, t0: datetime, end_t: datetime, extra: Iterable[datetime]) -> None:
    """Deployment times and the service version after each (a pin upgrade bumps the minor)."""
    gap = {"stable": (7, 21), "beta": (4, 14), "experimental": (2, 9), "deprecated": (40, 120)}[svc.maturity]
    until = min(end_t, svc.active_until or end_t, svc.retired or end_t)
    if svc.born is not None:
        cur = svc.born
    else:
        cur = t0 - timedelta(days=rng.uniform(0, gap[1]))
    if svc.active_until is not None and svc.active_until < t0:
        cur = svc.active_until
    times = [cur]
    lo, span = gap[0] * 86400_000_000, (gap[1] - gap[0]) * 86400_000_000
    rnd = rng.random
    while True:
        cur = cur + timedelta(microseconds=lo + int(rnd() * span))
        if cur > until:
            break
        times.append(cur)
    if svc.active_until is not None and t0 <= svc.active_until <= end_t:
        times = [x for x in times if x < svc.active_until] + [svc.active_until]
    upgrades = sorted(set(extra))
    merged = sorted(set(times) | set(upgrades))
    up = set(upgrades)
    major, minor, patch = rng.randint(0, 2), rng.randint(0, 12), rng.randint(0, 9)
    if major == 0 and minor == 0:
        minor = 1
    versions = []
    for i, t in enumerate(merged):
        if i and t in up:
            minor, patch = minor + 1, 0
        elif i:
            patch += 1
        versions.append(f"{major}.{minor}.{patch}")
    svc.deploys = merged
    svc.versions = versions


def external_upgrades(plat: Platform, svc: SimService, until: datetime) -> None:
    """Some services move off a vulnerable external version after its advisory is published."""
    published = {a["package"]: plat.day(a["published"], 9) for a in plat.advisories}
    rng = sub_rng(plat.seed, "ext", svc.name)
    for e in svc.ext:
        fix = C.EXTERNAL_FIXES.get(e)
        if fix is None or rng.random() >= fix[1]:
            continue
        when = published[e.partition("@")[0]] + timedelta(days=rng.uniform(*fix[2]))
        if when <= until:
            svc.ext_changes.append((when, e, fix[0]))


def quality_series(rng: random.Random, svc: SimService, n_weeks: int) -> None:
    """The service's weekly quality inputs that do not depend on other services (random walks and episodes).

    ``svc.series[k] = (coverage, lint_pass, policy_failures, policy_warnings, build_success_rate,
    signed_images, unit_pass, integration_pass, performance_pass)``.
    """
    lo, hi = {"stable": (0.62, 0.90), "beta": (0.50, 0.82), "experimental": (0.38, 0.70), "deprecated": (0.35, 0.60)}[
        svc.maturity
    ]
    trend = rng.choices((0.02, -0.02, 0.0), weights=(45, 20, 35))[0]
    cov = rng.uniform(lo, hi)
    signed = rng.random() < 0.5
    sign_week = rng.randint(2, 40) if rng.random() < 0.3 else n_weeks
    svc.sbom = rng.random() < 0.3
    bsr = rng.uniform(0.86, 0.99)
    warn = rng.randint(0, 3)
    # some services enter the window with failing policies that get fixed later
    pf, pf_until = (rng.choice((1, 1, 2)), rng.randint(1, 12)) if rng.random() < 0.15 else (0, -1)
    rnd = random.Random(rng.getrandbits(64)).random

    def gap(p: float) -> int:  # weeks until the next episode starts (geometric)
        return 1 + int(math.log(1.0 - rnd()) / math.log(1.0 - p))

    lint_next, pf_next, warn_next, int_next, perf_next = gap(0.04), gap(0.035), gap(0.2), gap(0.03), gap(0.02)
    lint_until = int_until = perf_until = -1
    series = []
    for k in range(n_weeks):
        if rnd() < 0.35:
            cov = min(0.97, max(0.25, cov + trend + (rnd() - 0.5) * 0.024))
        if k == lint_next:
            lint_until, lint_next = k + int(rnd() * 3), k + gap(0.04)
        if k == pf_next:
            pf, pf_until = 1 + (rnd() < 0.33), k + int(rnd() * 8)
            pf_next = pf_until + gap(0.035)
        if k == warn_next:
            warn, warn_next = max(0, min(5, warn + (1 if rnd() < 0.5 else -1))), k + gap(0.2)
        if k == int_next:
            int_until, int_next = k + int(rnd() * 4), k + gap(0.03)
        if k == perf_next:
            perf_until, perf_next = k + int(rnd() * 3), k + gap(0.02)
        series.append(
            (
                round(cov, 2),
                k > lint_until,
                pf if k <= pf_until else 0,
                warn,
                round(min(1.0, max(0.6, bsr - 0.04 + rnd() * 0.07)), 2),
                signed or k >= sign_week,
                rnd() > 0.02,
                k > int_until,
                k > perf_until,
            )
        )
    svc.series = series


def advisory_affects(adv: dict[str, Any], sv: SemVer) -> bool:
    """Whether ``adv`` lists ``sv`` or a range of it contains ``sv``."""
    if any(sv == cached_version(x) for x in adv.get("versions", ())):
        return True
    for _type, events in adv["ranges"]:
        lo = cached_version(events[0][1]) if events[0][1] != "0" else SemVer(0, 0, 0)
        kind, bound = events[1]
        hi = cached_version(bound)
        if lo is not None and hi is not None and lo <= sv and (sv < hi if kind == "fixed" else sv <= hi):
            return True
    return False


def advisory_sources(plat: Platform, svc: SimService) -> list[tuple[datetime, dict[str, Any], Any, SemVer | None]]:
    """Critical and high advisories whose package the service pins (a pin) or uses as a versioned external
    (the external's string and version)."""
    sources: list[tuple[datetime, dict[str, Any], Any, SemVer | None]] = []
    for adv in plat.advisories:
        if adv["severity"] not in ("CRITICAL", "HIGH"):
            continue
        published = plat.day(adv["published"], 9)
        sources.extend((published, adv, pin, None) for pin in svc.pins if pin.spec == adv["package"])
        for e in svc.ext:
            name, _, ver = e.partition("@")
            if ver and C.ALIASES.get(name, name) == adv["package"] and cached_version(ver) is not None:
                sources.append((published, adv, e, cached_version(ver)))
    return sources


def advisory_hits(plat: Platform, svc: SimService, t: datetime) -> tuple[int, int]:
    """Open critical and high advisories on the service's pins and versioned externals at ``t``."""
    crit = high = 0
    for published, adv, pin, sv in svc.adv_sources:
        if published > t:
            continue
        if isinstance(pin, str):  # a versioned external, unless the service has moved off it
            if pin not in svc.ext_at(t):
                continue
            ver = sv
        else:
            ver = cached_version(pin.at(t))
        if ver is not None and advisory_affects(adv, ver):
            if adv["severity"] == "CRITICAL":
                crit += 1
            else:
                high += 1
    return crit, high

"""The simulated platform's data model: releases, specs, pins, services, the platform, and small helpers.

Every datetime here is timezone-aware UTC. The simulation in :mod:`meta254lib.devtools.sample_platform`
builds these objects; the week writers in :mod:`meta254lib.devtools.sample_weeks` read them.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from ..core.versions import SemVer, parse_version
from . import sample_content as C

__all__ = [
    "VERSION_KEYS",
    "Pin",
    "Platform",
    "Release",
    "SimService",
    "Spec",
    "cached_version",
    "file_stamp",
    "integrity",
    "split_words",
    "sub_rng",
    "ts_naive",
    "ts_plus",
    "ts_z",
]


# --- small helpers -------------------------------------------------------------------------------
def split_words(text: str) -> list[str]:
    """The whitespace-separated words of ``text``."""
    return text.split()


def sub_rng(seed: int, *parts: object) -> random.Random:
    """An independent, reproducible stream (string seeds hash with SHA-512, not ``hash()``)."""
    return random.Random("/".join([str(seed), *map(str, parts)]))


# Every datetime here is timezone-aware UTC.
def ts_plus(t: datetime) -> str:
    """ISO time with microseconds and ``+00:00``."""
    return t.isoformat(timespec="microseconds")


def ts_z(t: datetime) -> str:
    """ISO time to the second with ``Z``."""
    return t.isoformat(timespec="seconds")[:19] + "Z"


def ts_naive(t: datetime) -> str:
    """ISO time with microseconds and no offset."""
    return t.isoformat(timespec="microseconds")[:26]


def file_stamp(t: datetime) -> str:
    """The ``YYYYmmdd_HHMMSS`` stamp of history file names."""
    return t.strftime("%Y%m%d_%H%M%S")


_VCACHE: dict[str, SemVer | None] = {}
VERSION_KEYS: dict[str, tuple] = {}  # sort keys of every version cached_version has parsed


def cached_version(text: str) -> SemVer | None:
    """``parse_version(text)``, memoised (and its sort key recorded in :data:`VERSION_KEYS`)."""
    if text not in _VCACHE:
        sv = _VCACHE[text] = parse_version(text)
        if sv is not None:
            VERSION_KEYS[text] = sv.key
    return _VCACHE[text]


def integrity(spec: str, version: str) -> str:
    """The ``sha256-`` integrity string of a locked spec version."""
    digest = hashlib.sha256(f"{spec}@{version}".encode()).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


# --- the simulated platform -------------------------------------------------------------------------
@dataclass
class Release:
    """One release of a spec."""

    version: str
    when: datetime
    changes: tuple[str, ...]
    sv: SemVer


@dataclass
class Spec:
    """A spec and its releases, with the latest final release at any time."""

    name: str
    description: str
    releases: list[Release]  # by date
    deprecated: tuple[str, ...]
    removed: tuple[str, ...]
    upstream_shape: bool = False
    _finals: list[Release] = field(default_factory=list)
    _times: list[datetime] = field(default_factory=list)
    _latest: list[Release] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.releases.sort(key=lambda r: (r.when, r.sv.key))
        self._finals = [r for r in self.releases if not r.sv.prerelease]
        best: Release | None = None
        for r in self._finals:
            if best is None or r.sv > best.sv:
                best = r
            self._times.append(r.when)
            self._latest.append(best)

    def latest_at(self, t: datetime) -> Release | None:
        i = bisect.bisect_right(self._times, t)
        return self._latest[i - 1] if i else None


@dataclass
class Pin:
    """A service's pin of one spec over time."""

    spec: str
    times: list[datetime]
    versions: list[str]
    override: tuple[datetime, datetime, str] | None = None

    def at(self, t: datetime) -> str:
        if self.override and self.override[0] <= t < self.override[1]:
            return self.override[2]
        i = bisect.bisect_right(self.times, t) - 1
        return self.versions[i if i > 0 else 0]


@dataclass
class SimService:
    """One simulated service and its timelines."""

    name: str
    domain: str
    runtime: str
    maturity: str
    team: str
    deps: list[str]
    ext: list[str]
    ein: list[str]
    eout: list[str]
    specs: list[str]
    born: datetime | None = None
    retired: datetime | None = None
    active_until: datetime | None = None  # last deployment of a stale service
    maturity_change: tuple[datetime, str] | None = None
    dep_added: dict[str, datetime] = field(default_factory=dict)
    ext_changes: list[tuple[datetime, str, str]] = field(default_factory=list)  # (when, old, new)
    lock_from: datetime | None = None  # None = never has a lock file
    pins: list[Pin] = field(default_factory=list)
    deploys: list[datetime] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    path: str = ""
    fleet: bool = False
    # quality model
    series: list[tuple] = field(default_factory=list)
    sbom: bool = False
    adv_sources: list[tuple] = field(default_factory=list)

    @property
    def repo(self) -> str:
        return f"https://github.com/254carbon/254carbon-{C.REPOS[self.domain]}"

    def present(self, t: datetime) -> bool:
        return (self.born is None or self.born <= t) and (self.retired is None or t < self.retired)

    def last_update(self, t: datetime) -> datetime:
        i = bisect.bisect_right(self.deploys, t) - 1
        return self.deploys[i if i > 0 else 0]

    def version_at(self, t: datetime) -> str:
        i = bisect.bisect_right(self.deploys, t) - 1
        return self.versions[i if i > 0 else 0]

    def maturity_at(self, t: datetime) -> str:
        if self.maturity_change and t >= self.maturity_change[0]:
            return self.maturity_change[1]
        return self.maturity

    def ext_at(self, t: datetime) -> list[str]:
        if not self.ext_changes:
            return self.ext
        swap = {old: new for when, old, new in self.ext_changes if when <= t}
        return [swap.get(e, e) for e in self.ext]

    def deps_at(self, t: datetime) -> list[str]:
        return [d for d in self.deps if d not in self.dep_added or self.dep_added[d] <= t]

    def has_lock(self, t: datetime) -> bool:
        return self.lock_from is not None and self.lock_from <= t


@dataclass
class Platform:
    """The simulated platform: weeks, specs, services, event registry, advisories, exemptions."""

    seed: int
    end: date
    weeks: list[datetime]  # run time of each weekly drift/quality job
    catalog_time: datetime
    specs: dict[str, Spec]
    services: list[SimService]  # every service ever present, sorted by name
    registry: dict[str, datetime | None]  # event -> registration time (None: never)
    advisories: list[dict[str, Any]]
    exemptions: list[dict[str, Any]] = field(default_factory=list)
    lock_mismatch: tuple[str, str, str] | None = None  # (service, spec, locked version)

    def day(self, days_before_end: float, hour: int = 12) -> datetime:
        base = datetime.combine(self.end, time(hour, 0), tzinfo=UTC)
        return base - timedelta(days=days_before_end)

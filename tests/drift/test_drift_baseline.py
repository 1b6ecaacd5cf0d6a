"""The per-row baseline of the drift benchmark finds the same issues as the drift engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import svc

from meta254lib import open_workspace
from meta254lib.devtools.baselines.drift import detect_drift_baseline
from meta254lib.drift.engine import detect_drift

AS_OF = "2025-10-10"

# --- the per-row baseline and speed ---------------------------------------------------------------


def synthetic_workspace(n: int, seed: int = 3) -> tuple[dict, dict[str, object], dict]:
    """A synthetic platform: catalog dict, workspace files, and the raw docs for the baseline."""
    rnd = np.random.default_rng(seed)
    specs = {}
    tags = ["feature", "performance", "bugfix", "docs", "security", "breaking"]
    for k in range(12):
        vs = [
            {
                "version": f"{1 + j // 4}.{j % 4}.{k % 2}",
                "release_date": f"2024-{1 + j:02d}-15",
                "changes": sorted(set(rnd.choice(tags, size=int(rnd.integers(0, 3))).tolist())),
            }
            for j in range(8)
        ]
        specs[f"spec-{k}"] = {"versions": vs, "deprecated": [vs[1]["version"]]}
    events = [f"dom.e{k}.x.v1" for k in range(30)]
    names = [f"svc-{i:04d}" for i in range(n)]
    services, locks = [], {}
    for i, name in enumerate(names):
        pins = []
        for k in rnd.choice(12, size=int(rnd.integers(1, 4)), replace=False).tolist():
            pins.append(f"spec-{k}@{specs[f'spec-{k}']['versions'][int(rnd.integers(0, 8))]['version']}")
        if i % 53 == 0:
            pins.append("spec-11@latest")
        internal = [names[int(rnd.integers(0, i))] for _ in range(2)] if i else []
        if i % 37 == 0:
            internal.append("ghost")
        external = [f"{e}@{rnd.choice(['6.2', '7.0', '7.2', '14', '15'])}" for e in ("redis", "postgres")]
        services.append(
            svc(
                name,
                api_contracts=pins,
                events_in=[events[int(rnd.integers(0, 30))]],
                events_out=[events[int(rnd.integers(0, 30))]],
                dependencies={"internal": internal, "external": [*external, "kafka"]},
                last_update=f"2025-{int(rnd.integers(1, 11)):02d}-{int(rnd.integers(1, 29)):02d}T00:00:00+00:00",
            )
        )
        if i % 4:
            lock = {p.split("@")[0]: {"version": p.split("@")[1]} for p in pins}
            if i % 29 == 0:
                lock[pins[0].split("@")[0]] = {"version": "0.0.1"}
            locks[name] = {"version": "1.0", "dependencies": lock}
    advisories = [
        {
            "id": "GHSA-r",
            "affected": [
                {
                    "package": {"name": "redis"},
                    "ranges": [{"type": "SEMVER", "events": [{"introduced": "6.0.0"}, {"fixed": "6.2.9"}]}],
                }
            ],
            "database_specific": {"severity": "HIGH"},
        },
        {"id": "OSV-s", "affected": [{"package": {"name": "spec-2"}, "versions": ["1.1.0", "1.1.1"]}]},
    ]
    catalog = {"metadata": {"generated_at": "2025-10-10T00:00:00+00:00"}, "services": services}
    files: dict[str, object] = {
        "catalog/service-index.json": catalog,
        "config/specs-index.json": specs,
        "config/events-registry.yaml": {"events": events[:20]},
    }
    files.update({f"manifests/collected/{k}.specs.lock.json": v for k, v in locks.items()})
    files.update({f"advisories/{a['id']}.json": a for a in advisories})
    raw = {"specs_index": specs, "events_registry": events[:20], "lockfiles": locks, "advisories": advisories}
    return catalog, files, raw


def test_baseline_finds_the_same_issues(tmp_path):
    from conftest import write_workspace

    catalog, files, raw = synthetic_workspace(400)
    ws = open_workspace(write_workspace(tmp_path / "syn", files))
    fast = detect_drift(ws, as_of=AS_OF)
    slow = detect_drift_baseline(catalog, as_of=AS_OF, **raw)
    cols = ["id", "service", "type", "severity", "subject", "current", "expected"]
    assert len(set(fast.issues["type"])) >= 12
    pd.testing.assert_frame_equal(
        fast.issues[cols].reset_index(drop=True).astype(object), slow[cols].reset_index(drop=True).astype(object)
    )

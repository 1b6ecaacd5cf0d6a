"""The inventory of a workspace's files: each input file read, each optional input absent, ignored caches."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..core import schema as S
from ..core.settings import LAYOUT
from .files import WorkspaceFiles

__all__ = ["ABSENT_NOTES", "inputs_table", "record_side_files"]

#: What an absent optional input means for the analyses.
ABSENT_NOTES: dict[str, str] = {
    "dependency_graph": "no graph file to cross-check against the catalog",
    "latest_quality": "no latest quality snapshot",
    "release_trains": "no release trains",
    "manifests": "no collected manifests: manifest/catalog consistency not checked",
    "collection_summary": "no collection summary",
    "lockfiles": "no lock files collected: missing-lock and lock-mismatch checks not assessed",
    "thresholds": "thresholds.yaml absent: the platform's default weights and thresholds are used",
    "rules": "rules.yaml absent: no domain layers, allowed externals or exemptions",
    "upgrade_policies": "upgrade-policies.yaml absent: automation classes use the runbook defaults",
    "events_registry": "no events registry: unknown-event checks not assessed",
    "spec_registry": "no spec registry: spec lag, deprecation and spec advisories not assessed",
    "teams": "no teams.yaml: teams derived from repository names; runbook escalation names used",
    "advisories": "no OSV advisories: vulnerable-dependency checks not assessed",
    "drift_reports": "no drift report history: drift flow and MTTR not available",
    "quality_history": "no quality history: trends use the latest snapshot only",
}


def record_side_files(io: WorkspaceFiles, catalog_file: str, configs: Mapping[str, Mapping[str, Any]]) -> None:
    """Record the files no table reads: config row counts, the catalog's JSON mirror, trains and summaries."""
    for rel, info in io.files.items():
        if info["input"] in configs and rel not in io.rows:
            io.rows[rel] = len(configs[info["input"]])
    if catalog_file.endswith(".yaml") and (io.root / "catalog/service-index.json").is_file():
        rel = "catalog/service-index.json"
        if rel not in io.files:
            io.record(rel, "catalog_mirror")
            io.note(rel, "JSON mirror of the YAML catalog; the YAML is read")
            io.rows[rel] = None
    for key in ("release_trains", "collection_summary"):
        for path in io.find(key):
            rel = io.rel(path)
            if rel not in io.files:
                doc = io.load(path, key)
                io.rows[rel] = len(doc) if isinstance(doc, (list, dict)) else 0


def _ignored_caches(root: Path) -> dict[str, Any] | None:
    """The row naming the platform's ``*.cache`` files, which are never read (``None`` when there are none)."""
    caches = []
    for folder, dirs, files in os.walk(root):  # links to folders are not followed
        dirs[:] = sorted(d for d in dirs if d not in (".git", ".venv", "node_modules"))
        caches.extend(Path(folder) / f for f in files if f.endswith(".cache"))
    if not caches:
        return None
    return {
        "input": "ignored_caches",
        S.FILE: f"{len(caches)} *.cache file(s)",
        "present": True,
        "required": False,
        "warnings": 0,
        "note": "never read: the platform's caches may hold serialised Python objects, whose loading would run code",
    }


def inputs_table(io: WorkspaceFiles, warn_counts: Mapping[str, int]) -> pd.DataFrame:
    """Each input file found (timestamps, rows, ``warn_counts``) and each optional input that is absent."""
    rows = []
    for rel, info in sorted(io.files.items()):
        row = dict(info)
        row["rows"] = io.rows.get(rel, 0 if not info["note"] else None)
        row["warnings"] = int(warn_counts.get(rel, 0))
        rows.append(row)
    present = {info["input"] for info in io.files.values()}
    for key, patterns in LAYOUT.items():
        if key == "catalog" or key in present:
            continue
        rows.append(
            {
                "input": key,
                S.FILE: patterns[0],
                "present": False,
                "required": False,
                "warnings": 0,
                "note": ABSENT_NOTES.get(key, ""),
            }
        )
    caches = _ignored_caches(io.root)
    if caches is not None:
        rows.append(caches)
    return S.frame_from_records(S.INPUTS, rows)

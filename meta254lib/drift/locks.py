"""The lock-file detectors: ``missing_lock`` (pins but no collected lock file) and ``lock_mismatch``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.schema import SERVICE, SPEC, VERSION
from .frames import issue_frame, no_issues, parse_versions, text_col
from .policy import DriftPolicy

__all__ = ["detect_locks"]


def _locked_services(services: pd.DataFrame, lockfiles: pd.DataFrame) -> set[str]:
    """Services with a collected lock file, or marked ``has_lock`` in the catalog."""
    locked = set(lockfiles[SERVICE].dropna().unique().tolist())
    if "has_lock" in services and services["has_lock"].notna().any():
        locked |= set(services.loc[services["has_lock"] == True, SERVICE].tolist())  # noqa: E712
    return locked


def _missing_locks(pins: pd.DataFrame, services: pd.DataFrame, locked: set[str], severity: str) -> pd.DataFrame:
    """``missing_lock``: catalog services that pin specs but have no lock file."""
    first = pins.sort_values([SERVICE, SPEC], kind="mergesort").drop_duplicates(SERVICE)
    size = pins.groupby(SERVICE, sort=True).size().rename("size").reset_index()
    counts = size.merge(first[[SERVICE, SPEC]].rename(columns={SPEC: "min"}), on=SERVICE)
    counts = counts[~counts[SERVICE].isin(list(locked))]
    counts = counts[counts[SERVICE].isin(list(services[SERVICE]))]
    n = counts["size"].astype("int64")
    specs = np.where(n == 1, counts["min"], counts["min"] + ", ...")
    return issue_frame(
        pd.DataFrame(
            {
                SERVICE: counts[SERVICE],
                "subject": "",
                "current": "no specs.lock.json",
                "expected": "manifests/collected/" + counts[SERVICE] + ".specs.lock.json",
                "reason": "pins "
                + np.where(n == 1, "1 spec", n.astype("str") + " specs")
                + " ("
                + specs
                + ") but has no collected lock file",
            }
        ),
        type="missing_lock",
        severity=severity,
    )


def _lock_mismatches(pins: pd.DataFrame, lockfiles: pd.DataFrame, locked: set[str], severity: str) -> pd.DataFrame:
    """``lock_mismatch``: specs a lock file locks at another version than the manifest pins, or only one side has."""
    p = pins[pins[SERVICE].isin(list(locked))]
    lk = lockfiles[[SERVICE, SPEC, VERSION]].dropna(subset=[SPEC]).drop_duplicates([SERVICE, SPEC])
    m = p.merge(lk, on=[SERVICE, SPEC], how="outer", suffixes=("_pin", "_lock"), indicator=True)
    norm = {
        v: (sv.text if sv is not None else v)
        for v, sv in parse_versions(pd.concat([m["version_pin"], m["version_lock"]]).dropna()).items()
    }
    pin_n = m["version_pin"].map(norm)
    lock_n = m["version_lock"].map(norm)
    both = m["_merge"] == "both"
    bad = (both & (pin_n != lock_n)) | (m["_merge"] != "both")
    m = m[bad]
    pin_s, lock_s = text_col(m["version_pin"]), text_col(m["version_lock"])
    which = m["_merge"].astype("str")
    reason = np.where(
        which == "left_only",
        "pins " + m[SPEC] + "@" + pin_s + " but the lock file does not lock " + m[SPEC],
        np.where(
            which == "right_only",
            "lock file locks " + m[SPEC] + "@" + lock_s + " but the manifest does not pin " + m[SPEC],
            "lock file has " + m[SPEC] + "@" + lock_s + " but the manifest pins " + pin_s,
        ),
    )
    return issue_frame(
        pd.DataFrame(
            {
                SERVICE: m[SERVICE],
                "subject": m[SPEC],
                "current": np.where(which == "left_only", "(not locked)", lock_s),
                "expected": np.where(which == "right_only", "(not pinned)", pin_s),
                "reason": reason,
            }
        ),
        type="lock_mismatch",
        severity=severity,
    )


def detect_locks(
    services: pd.DataFrame, contracts: pd.DataFrame, lockfiles: pd.DataFrame, policy: DriftPolicy
) -> pd.DataFrame:
    """``missing_lock`` and ``lock_mismatch`` issues of every service (each skipped when its type is off).

    Parameters
    ----------
    services, contracts, lockfiles : DataFrame
        ``SERVICES``, ``CONTRACTS`` and ``LOCKFILES`` rows.
    policy : DriftPolicy

    Returns
    -------
    DataFrame
        Rows of :data:`~meta254lib.drift.frames.ISSUE_COLS`.
    """
    pins = contracts[[SERVICE, SPEC, VERSION]].dropna(subset=[SPEC]).drop_duplicates([SERVICE, SPEC])
    locked = _locked_services(services, lockfiles)
    parts = []
    if policy.level("missing_lock") != "off":
        parts.append(_missing_locks(pins, services, locked, policy.level("missing_lock")))
    if policy.level("lock_mismatch") != "off":
        parts.append(_lock_mismatches(pins, lockfiles, locked, policy.level("lock_mismatch")))
    return pd.concat(parts, ignore_index=True) if parts else no_issues()

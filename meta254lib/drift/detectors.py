"""The catalog detectors: spec lag, deprecated specs, invalid pins, staleness, events, dependencies.

Each detector is vectorised over services (Python runs only over unique version pairs) and returns
rows of :data:`~meta254lib.drift.frames.ISSUE_COLS`; a detector whose type the policy turns ``off``
returns no rows. The lock-file and advisory detectors live in :mod:`~meta254lib.drift.locks` and
:mod:`~meta254lib.drift.vulnerable`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.severity import SEVERITIES
from ..core.versions import parse_version
from .frames import issue_frame, no_issues, parse_versions, text_col
from .inputs import SpecIndex
from .lags import classify_lag
from .policy import DriftPolicy

__all__ = [
    "detect_dangling",
    "detect_deprecated",
    "detect_divergence",
    "detect_invalid",
    "detect_lags",
    "detect_staleness",
    "detect_unknown_events",
]


def detect_lags(contracts: pd.DataFrame, index: SpecIndex, policy: DriftPolicy) -> pd.DataFrame:
    """One lag issue per (service, spec) pin behind the registry's latest (see :func:`.lags.classify_lag`)."""
    valid = contracts[contracts["valid"].astype(bool) & contracts["spec"].isin(list(index.latest))]
    pairs = valid[["spec", "version"]].drop_duplicates()
    rows = []
    for spec, ver in pairs.itertuples(index=False, name=None):
        sv = parse_version(ver)
        if sv is None:
            continue
        r = classify_lag(spec, sv, index, policy)
        if r is not None:
            rows.append({"spec": spec, "version": ver, **r})
    if not rows:
        return no_issues()
    lag = pd.DataFrame(rows)
    m = valid[["service", "spec", "version"]].drop_duplicates(["service", "spec"]).merge(lag, on=["spec", "version"])
    return issue_frame(m.assign(subject=m["spec"]))


def detect_deprecated(contracts: pd.DataFrame, index: SpecIndex, policy: DriftPolicy) -> pd.DataFrame:
    """``deprecated_spec``: pins of a version the spec registry marks deprecated or removed."""
    if policy.level("deprecated_spec") == "off":
        return no_issues()
    valid = contracts[contracts["valid"].astype(bool) & contracts["spec"].isin(list(index.versions))]
    rows = []
    for spec, ver in valid[["spec", "version"]].drop_duplicates().itertuples(index=False, name=None):
        sv = parse_version(ver)
        v = index.find(spec, sv) if sv is not None else None
        if v is None or not (v.deprecated or v.removed):
            continue
        state = "removed" if v.removed else "deprecated"
        latest = index.latest[spec].text
        rows.append(
            {
                "spec": spec,
                "version": ver,
                "current": f"{v.text} ({state})",
                "expected": latest,
                "reason": f"pins {spec}@{v.text}, which the spec registry marks {state}; latest is {latest}",
            }
        )
    if not rows:
        return no_issues()
    m = valid[["service", "spec", "version"]].drop_duplicates(["service", "spec"]).merge(pd.DataFrame(rows))
    return issue_frame(m.assign(subject=m["spec"]), type="deprecated_spec", severity=policy.level("deprecated_spec"))


def detect_invalid(contracts: pd.DataFrame, externals: pd.DataFrame, policy: DriftPolicy) -> pd.DataFrame:
    """``invalid_version``: spec pins that are not semantic versions, and external versions that do not parse."""
    sev = policy.level("invalid_version")
    if sev == "off":
        return no_issues()
    bad = contracts[~contracts["valid"].astype(bool)]
    spec = text_col(bad["spec"])
    ver = text_col(bad["version"])
    subject = spec.where(spec != "", text_col(bad["raw"]) if "raw" in bad else "")
    reason = np.where(
        ver == "",
        "pins " + subject + " without a version",
        "pins " + subject + "@" + ver + ", which is not a semantic version",
    )
    a = pd.DataFrame(
        {
            "service": bad["service"].to_numpy(),
            "subject": subject.to_numpy(),
            "current": np.where(ver == "", "(no version)", ver),
            "expected": "a semantic version x.y.z",
            "reason": reason,
        }
    )
    ext = externals[externals["_sv"].isna()]
    b = pd.DataFrame(
        {
            "service": ext["service"].to_numpy(),
            "subject": ext["target"].to_numpy(),
            "current": ext["version"].to_numpy(),
            "expected": "a version such as 7.2 or 7.2.1",
            "reason": (
                "depends on " + ext["target"] + "@" + ext["version"] + ", whose version does not parse"
            ).to_numpy(),
        }
    )
    out = pd.concat([a, b], ignore_index=True).drop_duplicates(["service", "subject"])
    return issue_frame(out, type="invalid_version", severity=sev)


def detect_staleness(services: pd.DataFrame, as_of: pd.Timestamp, policy: DriftPolicy) -> pd.DataFrame:
    """``version_staleness``: last updated more than the warning (medium) / critical (high) days before ``as_of``."""
    s = services[services["last_update"].notna()] if "last_update" in services else services.iloc[0:0]
    if s.empty:
        return no_issues()
    last = pd.to_datetime(s["last_update"], utc=True)
    age = ((as_of - last) // pd.Timedelta(days=1)).astype("int64")
    warn, crit = policy.staleness_warning_days, policy.staleness_critical_days
    sev = np.where(age > crit, "high", np.where(age > warn, "medium", ""))
    if policy.level("version_staleness") == "off":
        sev[:] = ""
    keep = sev != ""
    s, age, last, sev = s[keep], age[keep], last[keep], sev[keep]
    day = last.dt.strftime("%Y-%m-%d")
    limit = np.where(sev == "high", crit, warn)
    reason = (
        "last updated "
        + day
        + ", "
        + age.astype("str")
        + " days before as-of (over "
        + pd.Series(limit, index=s.index).astype("str")
        + " days is "
        + pd.Series(sev, index=s.index)
        + ")"
    )
    out = pd.DataFrame(
        {
            "service": s["service"],
            "subject": "",
            "current": day + " (" + age.astype("str") + " days old)",
            "expected": f"updated within {warn} days",
            "reason": reason,
            "age_days": age,
            "severity": sev,
        }
    )
    return issue_frame(out, type="version_staleness")


def detect_unknown_events(events: pd.DataFrame, registry: frozenset[str], policy: DriftPolicy) -> pd.DataFrame:
    """``unknown_event``: events a service consumes or produces that are not in the events registry."""
    sev = policy.level("unknown_event")
    ev = events[~events["event"].isin(list(registry))] if sev != "off" else events.iloc[0:0]
    ev = ev[ev["event"].notna()].drop_duplicates(["service", "event", "direction"])
    if ev.empty:
        return no_issues()
    code = ev["direction"].map({"in": 1, "out": 2}).fillna(0).astype("int64")
    g = ev.assign(_code=code).groupby(["service", "event"], sort=True)["_code"].sum().reset_index()
    used = g["_code"].map({1: "in", 2: "out", 3: "in+out"}).fillna("used").astype("str")
    label = used.map({"in": "consumed", "out": "produced", "in+out": "consumed and produced"}).fillna("used")
    out = pd.DataFrame(
        {
            "service": g["service"],
            "subject": g["event"],
            "current": used,
            "expected": "registered in config/events-registry.yaml",
            "reason": label + " event " + g["event"] + " is not in the events registry",
        }
    )
    return issue_frame(out, type="unknown_event", severity=sev)


def detect_dangling(deps: pd.DataFrame, policy: DriftPolicy) -> pd.DataFrame:
    """``dangling_dependency``: internal dependencies on services that are not in the catalog."""
    sev = policy.level("dangling_dependency")
    if sev == "off":
        return no_issues()
    d = deps[(deps["kind"] == "internal") & (deps["resolves"] == False)]  # noqa: E712 (nullable boolean)
    d = d.drop_duplicates(["service", "target"])
    out = pd.DataFrame(
        {
            "service": d["service"],
            "subject": d["target"],
            "current": "depends on " + d["target"],
            "expected": "a catalog service",
            "reason": "depends on " + d["target"] + ", which is not in the catalog",
        }
    )
    return issue_frame(out, type="dangling_dependency", severity=sev)


def detect_divergence(externals: pd.DataFrame, policy: DriftPolicy) -> pd.DataFrame:
    """``dependency_divergence``: a service uses an older major (or minor) of an external dependency than others."""
    ok = externals[externals["_sv"].notna()].copy()
    if ok.empty:
        return no_issues()
    uniq = {v: sv for v, sv in parse_versions(ok["version"]).items() if sv is not None}
    order = sorted(uniq, key=lambda v: (uniq[v].key, v))
    ok["_key"] = ok["version"].map({v: i for i, v in enumerate(order)}).astype("int64")
    ok = ok.sort_values(["service", "target", "_key"]).drop_duplicates(["service", "target"])
    ok["_maj"] = ok["version"].map({v: sv.major for v, sv in uniq.items()}).astype("int64")
    ok["_min"] = ok["version"].map({v: sv.minor for v, sv in uniq.items()}).astype("int64")
    top = ok.sort_values(["target", "_key"], ascending=[True, False]).drop_duplicates("target")
    top = top[["target", "version", "_maj", "_min", "_key"]].rename(
        columns={"version": "_tver", "_maj": "_tmaj", "_min": "_tmin", "_key": "_tkey"}
    )
    users = ok.groupby(["target", "_key"]).size().rename("_n").reset_index()
    top = top.merge(users.rename(columns={"_key": "_tkey"}), on=["target", "_tkey"])
    m = ok.merge(top, on="target")
    major = m["_maj"] < m["_tmaj"]
    minor = (m["_maj"] == m["_tmaj"]) & (m["_min"] < m["_tmin"])
    m["severity"] = np.where(major, policy.divergence_major, np.where(minor, policy.divergence_minor, "off"))
    if policy.level("dependency_divergence") == "off":
        m["severity"] = "off"
    m = m[m["severity"].isin(list(SEVERITIES))]
    if m.empty:
        return no_issues()
    major = m["_maj"] < m["_tmaj"]
    kind = np.where(major, "a newer major", "a newer minor")
    n = m["_n"].astype("int64")
    who = np.where(n == 1, "1 other service uses ", n.astype("str") + " other services use ")
    out = pd.DataFrame(
        {
            "service": m["service"],
            "subject": m["target"],
            "current": m["version"],
            "expected": m["_tver"],
            "reason": "uses "
            + m["target"]
            + "@"
            + m["version"]
            + "; "
            + who
            + m["target"]
            + "@"
            + m["_tver"]
            + " ("
            + kind
            + ")",
            "severity": m["severity"],
            "major_behind": (m["_tmaj"] - m["_maj"]).astype("int64"),
            "minor_behind": np.where(major, m["_tmin"], m["_tmin"] - m["_min"]),
        }
    )
    return issue_frame(out, type="dependency_divergence")

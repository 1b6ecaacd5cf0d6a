"""The sample workspace's catalog, config, manifests, advisories and README (the newest state)."""

from __future__ import annotations

import bisect
import json
from datetime import datetime, timedelta
from typing import Any

from . import sample_content as C
from .sample_model import Platform, SimService, integrity, ts_plus, ts_z
from .sample_writer import MARKER, Writer, load_yaml

__all__ = [
    "advisory_record",
    "choose_exemptions",
    "load_thresholds",
    "readme_text",
    "rules_text",
    "write_catalog",
    "write_config",
    "write_manifests",
]


def load_thresholds() -> dict[str, Any]:
    """The sample platform's thresholds configuration, parsed."""
    return load_yaml(C.THRESHOLDS_YAML)


def rules_text(plat: Platform) -> str:
    """The text of ``config/rules.yaml``, with the platform's drift exemptions."""
    lines = ["  exemptions:"]
    for item in plat.exemptions:
        first = True
        for key, value in item.items():
            lines.append(f"    {'- ' if first else '  '}{key}: {json.dumps(value)}")
            first = False
    return C.RULES_YAML + ("\n".join(lines) if plat.exemptions else "  exemptions: []") + "\n"


def _upgrade_policies_text(plat: Platform) -> str:
    present = {s.name for s in plat.services if s.retired is None}
    groups = {
        "critical_services": ("api-gateway", "auth-service", "entitlements", "curve-aggregator"),
        "high_risk_services": ("risk-analytics", "exposure-calculator", "market-data-api"),
        "experimental_services": ("model-trainer", "lineage-tracker", "usage-metering"),
    }
    body = "".join(f"  {k}: [{', '.join(n for n in v if n in present)}]\n" for k, v in groups.items())
    return C.UPGRADE_POLICIES_YAML.format(service_policies=body)


def _catalog_entry(plat: Platform, s: SimService, t: datetime, last_metrics: dict[str, Any] | None) -> dict[str, Any]:
    m = last_metrics or {}
    entry: dict[str, Any] = {
        "name": s.name,
        "repo": s.repo,
        "path": s.path,
        "domain": s.domain,
        "version": s.version_at(t),
        "maturity": s.maturity_at(t),
        "runtime": s.runtime,
        "api_contracts": [f"{p.spec}@{p.at(t)}" for p in s.pins],
        "events_in": list(s.ein),
        "events_out": list(s.eout),
        "dependencies": {"internal": s.deps_at(t), "external": s.ext_at(t)},
        "quality": {
            "coverage": m.get("coverage", 0.65),
            "lint_pass": m.get("lint_pass", True),
            "open_critical_vulns": m.get("critical_vulns", 0),
        },
        "security": {"signed_images": m.get("signed_images", False), "policy_pass": not m.get("policy_failures", 0)},
        "last_update": ts_plus(s.last_update(t)),
        "status": "active",
    }
    return entry


def choose_exemptions(plat: Platform, final_issues: list[tuple[str, ...]]) -> None:
    """One active, one expired (relative to the end date) and one open-ended exemption."""
    lags = [i for i in final_issues if i[0] == "spec_lag"]
    spec_of = {(i[2], i[3].split("@")[0].removeprefix("Service pins ")): i for i in lags}
    active = next((k for k in (("streaming-gateway", "gateway-core"),) if k in spec_of), None)
    if active is None:
        active = next(
            ((i[2], i[3].split("@")[0].removeprefix("Service pins ")) for i in lags if i[1] == "high"),
            next(iter(spec_of), None),
        )
    expired = next((k for k in (("market-data-api", "marketdata-api"),) if k in spec_of and k != active), None)
    if expired is None:
        expired = next((k for k in spec_of if k != active), None)
    out: list[dict[str, Any]] = []
    if active:
        out.append(
            {
                "service": active[0],
                "spec": active[1],
                "reason": f"Waiting for the {active[1]} breaking-change review",
                "expires": (plat.end + timedelta(days=86)).isoformat(),
            }
        )
    if expired:
        out.append(
            {
                "service": expired[0],
                "spec": expired[1],
                "reason": f"Migration to the next {expired[1]} major planned for last quarter",
                "expires": (plat.end - timedelta(days=20)).isoformat(),
            }
        )
    ev = next((i for i in final_issues if i[0] == "event_schema_unknown" and i[2] == "lineage-tracker"), None)
    ev = ev or next((i for i in final_issues if i[0] == "event_schema_unknown"), None)
    if ev:
        out.append(
            {
                "service": ev[2],
                "subject": ev[4],
                "type": "event_schema_unknown",
                "reason": "Schema lives in the partner repository; registration is tracked there",
            }
        )
    plat.exemptions = out


def advisory_record(plat: Platform, a: dict[str, Any]) -> dict[str, Any]:
    """One advisory as an OSV record."""
    published = plat.day(a["published"], 9)
    affected: dict[str, Any] = {"package": {"ecosystem": a["ecosystem"], "name": a["package"]}}
    if a["ranges"]:
        affected["ranges"] = [{"type": rtype, "events": [{k: v} for k, v in events]} for rtype, events in a["ranges"]]
    if a.get("versions"):
        affected["versions"] = list(a["versions"])
    rec: dict[str, Any] = {
        "schema_version": "1.6.0",
        "id": a["id"],
        "modified": ts_z(published + timedelta(days=3, hours=4)),
        "published": ts_z(published),
        "aliases": list(a["aliases"]),
        "summary": a["summary"],
        "details": f"{a['summary']}. Upgrade to a fixed version; see the affected ranges.",
        "affected": [affected],
    }
    if a.get("cvss"):
        rec["severity"] = [{"type": "CVSS_V3", "score": a["cvss"]}]
    rec["references"] = [{"type": "ADVISORY", "url": f"https://security.254carbon.com/advisories/{a['id']}"}]
    db: dict[str, Any] = {"severity": a["severity"]}
    if a.get("epss") is not None:
        db["epss"] = a["epss"]
    rec["database_specific"] = db
    return rec


def readme_text(plat: Platform, args: dict[str, Any], counts: dict[str, int]) -> str:
    """The workspace README: how it was generated and what it holds."""
    cmd = f"meta254 sample --out DIR --services {args['services']} --weeks {args['weeks']} --seed {args['seed']}"
    cmd += f" --end {args['end']}" + (f" --internal-edges {args['internal_edges']}" if args["internal_edges"] else "")
    return f"""{MARKER}
# Sample 254Carbon platform workspace

Generated by `{cmd}`. Do not edit by hand: the same command rewrites it byte for byte
(`make sample` for the bundled `data/sample`).

- {counts["services"]} services in the catalog, {counts["edges"]} internal dependency entries, \
{counts["specs"]} specs, {counts["advisories"]} OSV advisories
- {counts["weeks"]} weekly drift reports (`analysis/reports/drift/`) and quality snapshots \
(`analysis/historical/quality/`), the newest on {plat.weeks[-1].date().isoformat()}
- real upstream formats (catalog YAML + JSON mirror, collected manifests, dependency-graph.yaml, config,
  drift reports with repr-string and dict issues, quality snapshots) plus the meta254 extensions
  (spec registry with history, lock files, advisories, teams, drift exemptions)
"""


def _manifest_texts(catalog_yaml: str, names: list[str]) -> dict[str, str]:
    """Each service's manifest YAML, cut from the catalog YAML (the entry without ``status``).

    PyYAML writes a list item's mapping as the same lines indented by two, so dedenting a catalog
    entry gives exactly ``yaml.dump(entry)``; cutting saves representing every service twice.
    """
    body = catalog_yaml[catalog_yaml.index("\nservices:\n") + len("\nservices:\n") :]
    blocks = body.split("\n- ")
    blocks[0] = blocks[0].removeprefix("- ")
    if len(blocks) != len(names):  # pragma: no cover - guards the cutting rule
        raise AssertionError("catalog YAML does not hold one block per service")
    out = {}
    for name, block in zip(names, blocks, strict=True):
        lines = block.rstrip("\n").split("\n")
        kept = [lines[0]] + [x[2:] for x in lines[1:] if x != "  status: active"]
        out[name] = "\n".join(kept) + "\n"
    return out


def write_catalog(
    plat: Platform, w: Writer, final: list[SimService], last: dict[str, dict[str, Any]], indent: int | None
) -> tuple[dict[str, int], dict[str, str]]:
    """Write the catalog (YAML, JSON mirror, summary, graph, release trains); return counts and manifest texts."""
    t = plat.catalog_time
    entries = [_catalog_entry(plat, s, t, last.get(s.name)) for s in final]
    meta = {"generated_at": ts_plus(t).replace(".000000", ""), "version": "1.0.0", "total_services": len(entries)}
    catalog = {"metadata": meta, "services": entries}
    text = w.yaml("catalog/service-index.yaml", catalog).decode("utf-8")
    w.write("catalog/service-index.json", json.dumps(catalog, indent=indent))
    domains: list[str] = []
    maturities: list[str] = []
    for e in entries:
        if e["domain"] not in domains:
            domains.append(e["domain"])
        if e["maturity"] not in maturities:
            maturities.append(e["maturity"])
    summary = {
        "generated_at": meta["generated_at"],
        "total_services": len(entries),
        "service_names": [e["name"] for e in entries],
        "domains": domains,
        "maturities": maturities,
    }
    w.write("catalog/catalog-summary.json", json.dumps(summary, indent=2))
    # dependency-graph.yaml as validate_graph.py wrote it one week earlier: nodes by domain, dangling
    # targets dropped, externals counted as nodes, the rules embedded
    gt = plat.weeks[-2] if len(plat.weeks) >= 2 else t
    gsvcs = [s for s in plat.services if s.present(gt)]
    names = {s.name for s in gsvcs}
    nodes: dict[str, list[str]] = {}
    for s in gsvcs:
        nodes.setdefault(s.domain, []).append(s.name)
    edges = [{"from": s.name, "to": d} for s in gsvcs for d in s.deps_at(gt) if d in names]
    externals = sorted({e for s in gsvcs for e in s.ext_at(gt)} - names)
    graph = {
        "metadata": {
            "generated_at": ts_z(gt.replace(minute=0, second=0, microsecond=0)),
            "total_nodes": len(gsvcs) + len(externals),
            "total_edges": len(edges),
        },
        "nodes": nodes,
        "edges": edges,
        "rules": load_yaml(rules_text(plat)),
    }
    w.yaml("catalog/dependency-graph.yaml", graph)
    trains = _release_trains(final)
    w.yaml("catalog/release-trains.yaml", trains, header="# Release trains of the sample platform\n\n")
    counts = {"services": len(entries), "edges": sum(len(e["dependencies"]["internal"]) for e in entries)}
    return counts, _manifest_texts(text, [e["name"] for e in entries])


def _release_trains(final: list[SimService]) -> dict[str, Any]:
    names = {s.name for s in final}
    gw = [n for n in ("api-gateway", "streaming-gateway", "market-data-api", "usage-metering") if n in names]
    curves = [n for n in ("curve-aggregator", "curve-store", "curve-validator", "risk-analytics") if n in names]
    infra = [n for n in ("config-service", "secrets-broker", "key-rotation", "service-registry") if n in names]
    sched = [n for n in ("job-scheduler", "batch-orchestrator") if n in names]
    return {
        "trains": [
            {
                "name": "Q4-gateway-core-2",
                "description": "Move the edge services to gateway-core 2.0",
                "target_version": "gateway-core:2.0.0",
                "participants": gw,
                "dependencies": [{"spec": "gateway-core >=2.0.0"}],
                "gates": [
                    {
                        "name": "quality_threshold",
                        "type": "quality_score",
                        "description": "Participants score at least 80",
                        "threshold": 80,
                        "required": True,
                    },
                    {
                        "name": "no_critical_vulns",
                        "type": "vulnerabilities",
                        "description": "No open critical vulnerabilities",
                        "max_vulns": 0,
                        "required": True,
                    },
                ],
                "status": "planning",
                "created_by": "access-team",
                "estimated_duration": "3 hours",
            },
            {
                "name": "Q4-curves-3",
                "description": "Adopt curves-api 3.0 once it leaves release candidate",
                "target_version": "curves-api:3.0.0",
                "participants": [*curves, "curve-publisher"],
                "dependencies": [{"spec": "curves-api >=3.0.0"}],
                "gates": [
                    {
                        "name": "quality_threshold",
                        "type": "quality_score",
                        "description": "Participants score at least 75",
                        "threshold": 75,
                        "required": True,
                    }
                ],
                "status": "planning",
                "created_by": "data-platform",
                "estimated_duration": "4 hours",
            },
            {  # every gate decided from workspace data and passed: ready to go
                "name": "Q4-platform-hardening",
                "description": "Harden the infrastructure services",
                "target_version": "platform:2025-Q4",
                "participants": infra,
                "gates": [
                    {"name": "quality_floor", "type": "quality_score", "threshold": 85, "required": True},
                    {"name": "no_critical_vulns", "type": "vulnerabilities", "max_vulns": 0, "required": True},
                    {"name": "dependency_check", "type": "dependency_scan", "required": True},
                ],
                "status": "planning",
                "created_by": "platform-team",
                "estimated_duration": "1 hour",
            },
            {  # a load test has no data in a workspace: not assessed, never passed
                "name": "Q1-scheduler-throughput",
                "description": "Scheduler throughput work",
                "target_version": "scheduling:v2",
                "participants": sched,
                "gates": [
                    {"name": "quality_floor", "type": "quality_score", "threshold": 80, "required": True},
                    {"name": "load_test", "type": "load_test", "required": True},
                ],
                "status": "planning",
                "created_by": "platform-team",
                "estimated_duration": "3 hours",
            },
        ]
    }


def write_config(plat: Platform, w: Writer, thresholds: dict[str, Any]) -> None:
    """Write ``config/``: specs index, thresholds, rules, upgrade policies, events registry, teams."""
    head = "# {}: sample platform configuration (generated by meta254 sample)\n\n"
    w.write("config/thresholds.yaml", C.THRESHOLDS_YAML)
    w.write("config/rules.yaml", rules_text(plat))
    w.write("config/upgrade-policies.yaml", _upgrade_policies_text(plat))
    w.yaml(
        "config/events-registry.yaml",
        {"events": sorted(e for e, when in plat.registry.items() if when is not None and when <= plat.weeks[-1])},
    )
    registry: dict[str, Any] = {}
    end_t = plat.weeks[-1]
    for name in sorted(plat.specs):
        spec = plat.specs[name]
        released = [r for r in spec.releases if r.when <= end_t]
        if spec.upstream_shape:
            latest = spec.latest_at(end_t)
            registry[name] = {
                "latest_version": latest.version if latest else released[-1].version,
                "description": spec.description,
            }
            continue
        registry[name] = {
            "description": spec.description,
            "versions": [
                {"version": r.version, "release_date": r.when.date().isoformat(), "changes": list(r.changes)}
                for r in released
            ],
            "deprecated": [v for v in spec.deprecated if any(r.version == v for r in released)],
            "removed": [v for v in spec.removed if any(r.version == v for r in released)],
        }
    w.json("config/specs-index.json", registry, newline=True)
    final = [s for s in plat.services if s.retired is None]
    teams: dict[str, dict[str, Any]] = {}
    for team in C.TEAM_INFO:
        members = [s.name for s in final if s.team == team]
        if members:
            contact, slack = C.TEAM_INFO[team]
            teams[team] = {"services": members, "contact": contact, "slack": slack}
    doc = {
        "teams": teams,
        "escalation": {
            "L1": {"name": "Service Team"},
            "L2": {"name": "Platform Team", "contact": "platform-team@254carbon.com", "slack": "#platform-oncall"},
            "L3": {"name": "Architecture Team", "contact": "architecture@254carbon.com"},
        },
    }
    w.yaml("config/teams.yaml", doc, header=head.format("Service ownership and escalation"))


def write_manifests(
    plat: Platform, w: Writer, final: list[SimService], texts: dict[str, str], indent: int | None
) -> None:
    """Write each final service's collected manifest and, where it has one, its lock file."""
    t = plat.catalog_time
    collected = t - timedelta(minutes=24, seconds=35, microseconds=-211453)
    summary_rows = []
    for s in final:
        entry = _catalog_entry(plat, s, t, None)
        summary_rows.append(
            {
                "name": s.name,
                "repo": s.repo,
                "domain": s.domain,
                "source_manifest": f"{C.REPOS[s.domain]}/{s.path}/service-manifest.yaml",
                "last_update": entry["last_update"],
            }
        )
        if s.name == C.NO_MANIFEST:
            continue
        w.write(f"manifests/collected/{s.name}.yaml", texts[s.name])
        if s.pins and s.has_lock(t):
            deps: dict[str, Any] = {}
            for p in s.pins:
                version = p.at(t)
                i = max(0, bisect.bisect_right(p.times, t) - 1)
                resolved = max(p.times[i], s.lock_from or p.times[i])
                if plat.lock_mismatch and plat.lock_mismatch[:2] == (s.name, p.spec):
                    version = plat.lock_mismatch[2]
                    resolved = p.times[max(0, i - 1)]
                deps[p.spec] = {
                    "version": version,
                    "resolved_at": ts_z(resolved),
                    "integrity": integrity(p.spec, version),
                }
            w.json(
                f"manifests/collected/{s.name}.specs.lock.json", {"version": "1.0", "dependencies": deps}, newline=True
            )
    w.json(
        "manifests/collected/collection-summary.json",
        {"collected_at": ts_plus(collected), "total_services": len(final), "services": summary_rows},
        indent=indent,
    )

"""The sample platform generator: determinism, the committed data/sample, and the planted cases.

The files are parsed directly (json / yaml / ast) so these tests do not depend on the loaders.
"""

from __future__ import annotations

import ast
import json
import random
from datetime import date
from pathlib import Path

import networkx as nx
import pytest
import yaml
from click.testing import CliRunner

import meta254lib.devtools.sample as sample_mod
from meta254lib.cli import main
from meta254lib.core.errors import ParameterError
from meta254lib.core.versions import in_osv_range, parse_version
from meta254lib.devtools.sample import DEFAULTS, generate_sample
from meta254lib.quality.scores import implemented_score

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
CHANGE_TAGS = {"feature", "performance", "bugfix", "docs", "security", "breaking"}
ISSUE_FIELDS = ["type", "severity", "service", "description", "current_value", "expected_value", "remediation"]


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _yaml(path: Path):
    return yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER)


def _json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _repr_issue(text: str) -> dict:
    call = ast.parse(text, mode="eval").body
    assert isinstance(call, ast.Call) and call.func.id == "DriftIssue"
    return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}


def _issues(report: dict) -> list[dict]:
    return [_repr_issue(i) if isinstance(i, str) else i for i in report["issues"]]


@pytest.fixture(scope="module")
def fresh_default(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("default") / "sample"
    generate_sample(out, **DEFAULTS)
    return out


@pytest.fixture(scope="module")
def catalog() -> dict:
    return _yaml(SAMPLE / "catalog" / "service-index.yaml")


@pytest.fixture(scope="module")
def services(catalog) -> dict[str, dict]:
    return {s["name"]: s for s in catalog["services"]}


@pytest.fixture(scope="module")
def reports() -> list[tuple[str, dict]]:
    paths = sorted((SAMPLE / "analysis/reports/drift").glob("2*_drift_report.json"))
    return [(p.name, _json(p)) for p in paths]


@pytest.fixture(scope="module")
def snapshots() -> list[tuple[str, dict]]:
    paths = sorted((SAMPLE / "analysis/historical/quality").glob("quality_*.json"))
    return [(p.name, _json(p)) for p in paths]


# --- determinism and freshness ------------------------------------------------------------------------------
def test_same_arguments_give_identical_bytes(tmp_path):
    a = generate_sample(tmp_path / "a", services=24, weeks=5, seed=7)
    b = generate_sample(tmp_path / "b", services=24, weeks=5, seed=7)
    fa, fb = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert fa == fb
    assert a["files"] == len(fa) == b["files"]
    assert a["bytes"] == sum(len(v) for v in fa.values())
    generate_sample(tmp_path / "c", services=24, weeks=5, seed=8)
    assert _files(tmp_path / "c") != fa


def test_forked_history_writes_the_same_bytes(tmp_path, monkeypatch):
    generate_sample(tmp_path / "seq", services=20, weeks=4)
    monkeypatch.setattr(sample_mod, "_PARALLEL_FROM", 0)
    generate_sample(tmp_path / "par", services=20, weeks=4)
    assert _files(tmp_path / "seq") == _files(tmp_path / "par")


def test_committed_sample_is_a_fresh_default_generation(fresh_default):
    committed, fresh = _files(SAMPLE), _files(fresh_default)
    assert sorted(committed) == sorted(fresh), "data/sample is stale: run `make sample`"
    stale = [name for name in fresh if committed[name] != fresh[name]]
    assert stale == [], f"data/sample is stale (first: {stale[:3]}); run `make sample`"


def test_regenerating_into_a_generated_sample_replaces_it(tmp_path):
    out = tmp_path / "ws"
    generate_sample(out, services=20, weeks=3)
    (out / "analysis/reports/drift/20200101_000000_drift_report.json").write_text("{}")
    generate_sample(out, services=20, weeks=3)
    assert not (out / "analysis/reports/drift/20200101_000000_drift_report.json").exists()


def test_refuses_a_folder_that_is_not_a_sample(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ParameterError, match="not a generated sample"):
        generate_sample(tmp_path, services=20, weeks=2)
    assert (tmp_path / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"services": 15}, "services must be"),
        ({"weeks": 0}, "weeks must be"),
        ({"end": "2025-02-30"}, "end must be a date"),
        ({"internal_edges": 5}, "internal_edges=5"),
        ({"services": 200, "internal_edges": 10}, "below the"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        generate_sample(tmp_path / "x", **{"services": 20, "weeks": 2, **kwargs})


def test_yaml_does_not_depend_on_the_c_dumper(catalog):
    text = (SAMPLE / "catalog" / "service-index.yaml").read_text(encoding="utf-8")
    assert yaml.dump(catalog, Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=True) == text


# --- catalog, manifests, locks ---------------------------------------------------------------------------
def test_catalog_counts_and_mirror(catalog, services):
    assert catalog["metadata"] == {
        "generated_at": "2025-10-06T06:00:00+00:00",
        "version": "1.0.0",
        "total_services": 60,
    }
    assert _json(SAMPLE / "catalog" / "service-index.json") == catalog
    assert len(services) == 60 and list(services) == sorted(services)
    domains = {s["domain"] for s in services.values()}
    assert len(domains) >= 6
    assert {s["runtime"] for s in services.values()} == {"python", "nodejs", "go", "java"}
    assert all(isinstance(s["version"], str) for s in services.values())


def test_manifests_equal_catalog_entries_and_one_is_missing(catalog, services):
    collected = SAMPLE / "manifests" / "collected"
    names = sorted(p.name.removesuffix(".yaml") for p in collected.glob("*.yaml"))
    assert sorted(set(services) - set(names)) == ["status-page"]
    for name in names:
        text = (collected / f"{name}.yaml").read_text(encoding="utf-8")
        entry = {k: v for k, v in services[name].items() if k != "status"}
        assert yaml.load(text, Loader=LOADER) == entry
        assert text == yaml.dump(entry, Dumper=yaml.SafeDumper, sort_keys=False)
    summary = _json(collected / "collection-summary.json")
    assert summary["total_services"] == 60 and len(summary["services"]) == 60


def test_locks_some_missing_exactly_one_mismatch(services):
    collected = SAMPLE / "manifests" / "collected"
    pinned = {n: dict(p.split("@") for p in s["api_contracts"]) for n, s in services.items() if s["api_contracts"]}
    locks = {p.name.removesuffix(".specs.lock.json"): _json(p) for p in collected.glob("*.specs.lock.json")}
    missing = sorted(set(pinned) - set(locks))
    assert len(missing) >= 2
    mismatches = []
    for name, lock in locks.items():
        assert lock["version"] == "1.0"
        assert set(lock["dependencies"]) == set(pinned[name])
        for spec, body in lock["dependencies"].items():
            assert body["integrity"].startswith("sha256-") and body["resolved_at"].endswith("Z")
            if body["version"] != pinned[name][spec]:
                mismatches.append((name, spec, body["version"], pinned[name][spec]))
    assert len(mismatches) == 1
    name, spec, locked, pin = mismatches[0]
    assert parse_version(locked) < parse_version(pin)


# --- planted graph cases ---------------------------------------------------------------------------------------
def test_planted_cycle_layering_dangling_alias(services):
    rules = _yaml(SAMPLE / "config" / "rules.yaml")
    layers = rules["dependency"]["domain_layers"]
    g = nx.DiGraph()
    dangling = []
    for name, s in services.items():
        for dep in s["dependencies"]["internal"]:
            if dep in services:
                g.add_edge(name, dep)
            else:
                dangling.append((name, dep))
    cycles = sorted(sorted(c) for c in nx.simple_cycles(g))
    assert ["exposure-calculator", "portfolio-service", "position-tracker"] in cycles
    upward = sorted((a, b) for a, b in g.edges if layers[services[a]["domain"]] < layers[services[b]["domain"]])
    assert upward == [("api-gateway", "curve-aggregator"), ("weather-ingest", "load-forecaster")]
    patterns = {p["pattern"] for p in rules["forbidden_reverse_edges"]}
    assert f"{services['api-gateway']['domain']} -> {services['curve-aggregator']['domain']}" in patterns
    assert dangling == [("market-data-api", "legacy-quotes")]
    externals = [e.split("@")[0] for s in services.values() for e in s["dependencies"]["external"]]
    assert "postgres" in externals and "postgresql" in externals
    assert rules["dependency"]["aliases"] == {"postgres": "postgresql"}
    assert "feature-store" in services["model-trainer"]["dependencies"]["external"]  # misfiled internal service
    assert any("redis@7.0" in s["dependencies"]["external"] for s in services.values())


def test_dependency_graph_file_is_one_week_behind(services):
    graph = _yaml(SAMPLE / "catalog" / "dependency-graph.yaml")
    assert isinstance(graph["nodes"], dict)
    assert sorted(n for names in graph["nodes"].values() for n in names) == sorted(services)
    edges = {(e["from"], e["to"]) for e in graph["edges"]}
    catalog_edges = {(n, d) for n, s in services.items() for d in s["dependencies"]["internal"] if d in services}
    assert catalog_edges - edges == {("report-builder", "risk-analytics")}
    assert graph["metadata"]["total_edges"] == len(graph["edges"])
    assert graph["metadata"]["total_nodes"] > len(services)  # externals counted as nodes, as upstream
    assert graph["rules"]["dependency"]["aliases"] == {"postgres": "postgresql"}


# --- extension inputs ---------------------------------------------------------------------------------------------
def test_spec_registry_histories():
    reg = _json(SAMPLE / "config" / "specs-index.json")
    with_history = {name: body for name, body in reg.items() if "versions" in body}
    assert len(with_history) >= 10
    assert any("versions" not in body and "latest_version" in body for body in reg.values())  # upstream shape too
    for body in with_history.values():
        dates = [v["release_date"] for v in body["versions"]]
        assert dates == sorted(dates) and all(date.fromisoformat(d) <= date(2025, 10, 6) for d in dates)
        assert all(set(v["changes"]) <= CHANGE_TAGS and v["changes"] for v in body["versions"])
        assert set(body["deprecated"]) <= {v["version"] for v in body["versions"]}
    assert sum(len(b["deprecated"]) for b in with_history.values()) >= 1
    assert any("security" in v["changes"] for b in with_history.values() for v in b["versions"])
    breaking_majors = [
        (name, v["version"])
        for name, b in with_history.items()
        for v in b["versions"]
        if "breaking" in v["changes"] and v["version"].endswith(".0.0") and not v["version"].startswith("0.")
    ]
    assert ("gateway-core", "2.0.0") in breaking_majors
    assert any(v["version"] == "1.10.2" for v in with_history["metrics-core"]["versions"])


def test_advisories_are_osv_and_hit_pins_or_versioned_externals(services):
    records = [_json(p) for p in sorted((SAMPLE / "advisories").glob("*.json"))]
    assert len(records) >= 3
    hits = set()
    for rec in records:
        assert {"id", "summary", "aliases", "affected", "published", "modified"} <= set(rec)
        assert rec["database_specific"]["severity"] in {"CRITICAL", "HIGH", "MODERATE", "LOW"}
        for aff in rec["affected"]:
            pkg = aff["package"]
            assert pkg["name"] and pkg["ecosystem"]
            intervals = []
            for rng in aff.get("ranges", []):
                assert rng["type"] in {"SEMVER", "ECOSYSTEM"}
                ev = rng["events"]
                intervals.append((ev[0]["introduced"], ev[1].get("fixed", ""), ev[1].get("last_affected", "")))
            for name, s in services.items():
                used = [p.split("@") for p in s["api_contracts"]] + [
                    e.split("@") for e in s["dependencies"]["external"] if "@" in e
                ]
                for pkg_name, version in used:
                    v = parse_version(version)
                    if pkg_name == pkg["name"] and in_osv_range(v, tuple(intervals), tuple(aff.get("versions", ()))):
                        hits.add((rec["id"], name, pkg_name))
    assert len(hits) >= 3
    assert len({h[0] for h in hits}) >= 2
    assert any(isinstance(r["database_specific"].get("epss"), float) for r in records)
    closing = {
        next(iter(r["affected"][0]["ranges"][0]["events"][1])) for r in records if r["affected"][0].get("ranges")
    }
    assert closing == {"fixed", "last_affected"}


def test_events_registry_teams_and_exemptions(services):
    registry = set(_yaml(SAMPLE / "config" / "events-registry.yaml")["events"])
    used = {e for s in services.values() for e in s["events_in"] + s["events_out"]}
    assert len(used - registry) >= 3 and len(used & registry) >= 10
    teams = _yaml(SAMPLE / "config" / "teams.yaml")
    owners = [svc for body in teams["teams"].values() for svc in body["services"]]
    assert sorted(owners) == sorted(services)
    assert all(
        body["contact"].endswith("@254carbon.com") and body["slack"].startswith("#") for body in teams["teams"].values()
    )
    assert sorted(teams["escalation"]) == ["L1", "L2", "L3"]
    exemptions = _yaml(SAMPLE / "config" / "rules.yaml")["drift"]["exemptions"]
    end = date(2025, 10, 6)
    expires = [date.fromisoformat(e["expires"]) for e in exemptions if "expires" in e]
    assert sum(d >= end for d in expires) == 1 and sum(d < end for d in expires) == 1
    assert all(e["service"] in services for e in exemptions)
    latest = _issues(_json(SAMPLE / "analysis/reports/drift/latest_drift_report.json"))
    lagging = {(i["service"], i["description"].split()[2].split("@")[0]) for i in latest if i["type"] == "spec_lag"}
    assert all((e["service"], e["spec"]) in lagging for e in exemptions if "spec" in e)


def test_config_files_have_the_upstream_keys():
    thresholds = _yaml(SAMPLE / "config" / "thresholds.yaml")
    assert sum(thresholds["quality"]["weights"].values()) == pytest.approx(1.0)
    assert thresholds["maturity_multipliers"]["beta"]["overall"] == 0.95
    rules = _yaml(SAMPLE / "config" / "rules.yaml")
    assert "postgresql" in rules["dependency"]["allowed_external"]
    assert len(rules["dependency"]["domain_layers"]) == 9
    policies = _yaml(SAMPLE / "config" / "upgrade-policies.yaml")
    assert all(isinstance(policies["auto_upgrade"][k], dict) for k in ("patch", "minor", "major"))
    assert policies["auto_upgrade"]["major"]["enabled"] is False
    assert policies["scheduling"]["allowed_days"] == [1, 2, 3, 4]
    assert len(policies["maintenance_windows"]["windows"]) == 3


# --- history -------------------------------------------------------------------------------------------------------
def test_drift_reports_as_the_platform_writes_them(reports):
    assert len(reports) == 26
    newest = sorted((SAMPLE / "analysis/reports/drift").glob("2*_drift_report.json"))[-1]
    assert (SAMPLE / "analysis/reports/drift/latest_drift_report.json").read_bytes() == newest.read_bytes()
    kinds = [type(r["issues"][0]).__name__ for _, r in reports]
    assert kinds == ["str"] * 13 + ["dict"] * 13
    raw = newest.read_text(encoding="utf-8")
    first_repr = (sorted((SAMPLE / "analysis/reports/drift").glob("2*"))[0]).read_text(encoding="utf-8")
    assert "DriftIssue(type='spec_lag', severity=" in first_repr and "\\ud83d\\udccb" in first_repr
    assert "\\ud83d" in raw  # json.dump escapes emoji
    severities, types, spellings = set(), set(), set()
    for name, r in reports:
        issues = _issues(r)
        assert all(list(i) == ISSUE_FIELDS for i in issues)
        assert r["metadata"]["total_issues"] == len(issues)
        by_sev = r["summary"]["issues_by_severity"]
        assert list(by_sev) == ["high", "moderate", "low", "error"] and sum(by_sev.values()) == len(issues)
        assert r["metadata"]["overall_healthy"] == (by_sev["high"] + by_sev["error"] == 0)
        severities |= {i["severity"] for i in issues}
        types |= {i["type"] for i in issues}
        ts = r["metadata"]["generated_at"]
        spellings.add("Z" if ts.endswith("Z") else "+00:00" if ts.endswith("+00:00") else "naive")
        assert name.startswith(ts[:10].replace("-", ""))
        for i in issues:
            if i["type"] == "shared_dependency":
                assert ", " in i["service"]
    assert severities == {"high", "moderate", "low", "error"}
    assert types == {
        "spec_lag",
        "invalid_version",
        "missing_lock",
        "version_staleness",
        "shared_dependency",
        "event_schema_unknown",
    }
    assert spellings == {"Z", "+00:00", "naive"}


def test_issues_appear_get_fixed_and_linger(reports):
    seen: dict[tuple, list[int]] = {}
    for k, (_, r) in enumerate(reports):
        for i in _issues(r):
            if i["type"] != "shared_dependency":
                key = (i["service"], i["type"], i["description"].split(" but ")[0] if i["type"] == "spec_lag" else "")
                seen.setdefault(key, []).append(k)
    spans = [ks for ks in seen.values() if ks[0] > 0 and ks[-1] < len(reports) - 1]  # appeared and fixed
    assert any(len(ks) == 1 for ks in spans)  # fixed within a week
    assert any(len(ks) >= 8 for ks in spans)  # fixed after months
    assert any(len(ks) == len(reports) for ks in seen.values())  # never fixed


def test_quality_snapshots_shape_and_evolution(snapshots, services):
    assert len(snapshots) == 26
    newest = sorted((SAMPLE / "analysis/historical/quality").glob("quality_*.json"))[-1]
    assert (SAMPLE / "catalog" / "latest_quality_snapshot.json").read_bytes() == newest.read_bytes()
    first, last = snapshots[0][1], snapshots[-1][1]
    for _, snap in (snapshots[0], snapshots[-1]):
        assert set(snap) == {"metadata", "summary", "services", "global", "insights", "thresholds_applied"}
        assert snap["metadata"]["generated_at"] == snap["metadata"]["computed_at"]
        entry = next(iter(snap["services"].values()))
        assert set(entry) == {"score", "grade", "status", "metrics", "maturity", "computed_at"}
    assert "integration_pass" not in next(iter(first["services"].values()))["metrics"]
    assert "integration_pass" in next(iter(last["services"].values()))["metrics"]
    assert sorted(last["services"]) == sorted(services)
    by_snap = [set(s["services"]) for _, s in snapshots]
    assert "legacy-quotes" in by_snap[0] and "legacy-quotes" not in by_snap[-1] and "legacy-quotes" not in services
    assert "spp-connector" not in by_snap[0] and "spp-connector" in by_snap[-1]
    deltas = {n: last["services"][n]["score"] - first["services"][n]["score"] for n in by_snap[0] & by_snap[-1]}
    assert sum(d >= 5 for d in deltas.values()) >= 3 and sum(d <= -5 for d in deltas.values()) >= 3
    for name, entry in last["services"].items():  # the catalog carries the newest metrics
        q = services[name]["quality"]
        assert (q["coverage"], q["open_critical_vulns"]) == (
            entry["metrics"]["coverage"],
            entry["metrics"]["critical_vulns"],
        )
    spellings = {s["metadata"]["generated_at"][-6:] for _, s in snapshots}
    assert "+00:00" in spellings and any(x.endswith("Z") for x in spellings)


def test_recorded_scores_follow_the_implemented_formula(snapshots):
    thresholds = _yaml(SAMPLE / "config" / "thresholds.yaml")
    rows = [(e["metrics"], e["maturity"], e["score"], e["grade"]) for _, s in snapshots for e in s["services"].values()]
    for metrics, maturity, score, grade in random.Random(3).sample(rows, 40):
        assert implemented_score(metrics, maturity, thresholds) == score
        assert grade == "ABCDF"[[score >= 90, score >= 80, score >= 70, score >= 60, True].index(True)]
    summary = snapshots[-1][1]["summary"]
    scores = sorted(e["score"] for e in snapshots[-1][1]["services"].values())
    assert summary["median_quality_score"] == scores[len(scores) // 2]
    assert summary["avg_quality_score"] == round(sum(scores) / len(scores), 1)


# --- fleets and the CLI ------------------------------------------------------------------------------------
def test_fleet_edges_chains_and_cycles(tmp_path):
    s = generate_sample(tmp_path / "fleet", services=400, weeks=2, internal_edges=1200)
    assert s["edges"] == 1200 and s["services"] == 400
    cat = _json(tmp_path / "fleet" / "catalog" / "service-index.json")
    names = {e["name"] for e in cat["services"]}
    g = nx.DiGraph((e["name"], d) for e in cat["services"] for d in e["dependencies"]["internal"] if d in names)
    cycles = [c for c in nx.simple_cycles(g) if len(c) <= 5]
    assert len(cycles) >= 3
    dag = g.copy()
    dag.remove_edges_from([(c[i], c[(i + 1) % len(c)]) for c in cycles for i in range(len(c))])
    assert nx.dag_longest_path_length(dag) >= 20  # deep chains
    assert all(
        1 <= len(e["api_contracts"]) <= 3
        for e in cat["services"]
        if e["name"].count("-") == 2 and e["name"][-5:].isdigit()
    )


def test_cli_sample(tmp_path):
    result = CliRunner().invoke(main, ["sample", "--out", str(tmp_path / "ws"), "--services", "20", "--weeks", "2"])
    assert result.exit_code == 0, result.output
    assert result.output.count("\n") == 1 and "20 services" in result.output
    again = CliRunner().invoke(main, ["sample", "--out", str(tmp_path), "--services", "20"])
    assert again.exit_code == 2

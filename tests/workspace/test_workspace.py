"""The workspace data layer on tiny inline workspaces and on the real upstream artifacts."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from conftest import svc

from meta254lib import InputError, ParameterError, open_workspace
from meta254lib.core.schema import TABLES


@pytest.fixture(scope="module")
def ws(upstream):
    return open_workspace(upstream).load_all()


class TestUpstream:
    """The issue's oracles on ../shared/upstream."""

    def test_services(self, ws):
        assert len(ws.services) == 24
        assert ws.services["service"].is_unique
        assert ws.services.loc[ws.services.service == "gateway", "team"].item() == "access"
        assert str(ws.generated_at) == "2025-10-09 22:30:38.509155+00:00"

    def test_drift_report_rows(self, ws):
        dh = ws.drift_history
        assert len(dh) == 53
        assert dh["source_issue"].nunique() == 23
        assert dh["service"].nunique() <= 24
        shared = dh[dh.raw_type == "shared_dependency"]
        assert shared.groupby("subject").size().to_dict() == {
            "clickhouse": 5,
            "kafka": 10,
            "postgresql": 9,
            "redis": 10,
        }
        # every exploded row keeps the id of its source issue
        assert shared["source_issue"].nunique() == 4
        assert set(dh["report_time"].astype(str)) == {"2025-10-10 17:39:11.685367+00:00"}
        lag = dh[dh.type.str.startswith("spec_")]
        assert lag[["service", "type", "subject", "current", "expected", "severity"]].values.tolist() == [
            ["gateway", "spec_minor_lag", "gateway-core", "1.0.0", "1.2.0", "low"]
        ]
        assert (dh.type == "unknown_event").sum() == 18

    def test_latest_copy_not_counted_twice(self, ws):
        inputs = ws.inputs.set_index("file")
        assert "copy of an archived report" in inputs.loc["analysis/reports/drift/latest_drift_report.json", "note"]

    def test_dangling(self, ws):
        d = ws.dependencies
        dangling = d[(d.kind == "internal") & (d.resolves == False)]  # noqa: E712
        assert len(dangling) == 7
        assert sorted(dangling.target.unique()) == ["connectors", "vector-store-adapter"]

    def test_aliases_and_misfiled(self, ws):
        ext = ws.dependencies[ws.dependencies.kind == "external"]
        assert (ext.target == "postgresql").sum() == 10  # 9 x postgres + 1 x postgresql
        assert sorted(ext.loc[ext.misfiled, "service"]) == ["indexer-worker", "search-service"]
        assert len(ext) == 44

    def test_quality_history(self, ws):
        q = ws.quality_history
        assert len(q) == 24
        assert q["score"].notna().all()
        assert q.set_index("service").loc["mlflow-server", "score"] == 75
        assert q.set_index("service").loc["data-quality", "critical_vulns"] == 1

    def test_events_and_contracts(self, ws):
        assert ws.events.direction.value_counts().to_dict() == {"in": 14, "out": 13}
        assert (ws.events.registered == False).sum() == 18  # noqa: E712
        assert len(ws.contracts) == 9
        assert ws.contracts.set_index("service").loc["gateway", "minor"] == 0

    def test_graph_file_disagreement_reported(self, ws):
        diff = ws.dependency_graph_diff
        assert diff["agrees"] is False
        assert diff["catalog_services"] == 24 and diff["graph_edges"] == 0
        assert any("disagrees with the catalog" in m for m in ws.warnings.message)

    def test_inputs_table(self, ws):
        inp = ws.inputs
        assert set(TABLES["inputs"].columns) == set(inp.columns)
        absent = set(inp.loc[~inp.present, "input"])
        assert {"lockfiles", "advisories", "teams"} <= absent
        cat = inp.set_index("file").loc["catalog/service-index.yaml"]
        assert cat["rows"] == 24 and bool(cat["required"]) is True

    def test_graph(self, ws):
        G = ws.graph
        assert G.number_of_nodes() == 24
        dep_edges = [(a, b) for a, b, r in G.edges(data="relations") if "depends_on" in r]
        assert len(dep_edges) == 11
        assert G.has_edge("metrics", "gateway") and "consumes_event" in G.edges["metrics", "gateway"]["relations"]

    def test_json_catalog_equivalent(self, upstream, tmp_path):
        import shutil

        shutil.copytree(upstream / "catalog", tmp_path / "catalog")
        shutil.copytree(upstream / "config", tmp_path / "config")
        (tmp_path / "catalog" / "service-index.yaml").unlink()
        ws = open_workspace(tmp_path)
        assert ws.catalog_file == "catalog/service-index.json"
        yaml_ws = open_workspace(upstream)
        pd.testing.assert_frame_equal(
            ws.services.drop(columns="has_manifest"), yaml_ws.services.drop(columns="has_manifest")
        )


class TestTiny:
    def test_missing_catalog(self, tmp_path):
        with pytest.raises(InputError, match=r"catalog/service-index\.yaml") as err:
            open_workspace(tmp_path)
        assert err.value.exit_code == 2

    def test_missing_folder(self, tmp_path):
        with pytest.raises(InputError, match="no such folder"):
            open_workspace(tmp_path / "nope")

    def test_unquoted_version_keeps_text(self, make_ws):
        root = make_ws(files={"catalog/service-index.yaml": "services:\n- name: a\n  version: 1.10\n"})
        ws = open_workspace(root)
        assert ws.services.loc[0, "version"] == "1.10"
        assert any("unquoted version 1.10" in m for m in ws.warnings.message)

    def test_teams_yaml_overrides_repo(self, make_ws):
        root = make_ws(
            [svc("a", team="access"), svc("b", team="access")],
            files={
                "config/teams.yaml": {
                    "teams": {"edge": {"services": ["a"], "contact": "edge@x", "slack": "#edge"}},
                    "escalation": {"L3": {"name": "Architects", "contact": "arch@x"}},
                }
            },
        )
        ws = open_workspace(root)
        assert ws.services.set_index("service")["team"].to_dict() == {"a": "edge", "b": "access"}
        assert ws.services.set_index("service").loc["a", "team_contact"] == "edge@x"
        assert ws.escalation["L3"]["name"] == "Architects"
        assert ws.escalation["L2"]["name"] == "Platform Team"

    def test_lock_presence_na_without_any_lock(self, make_ws):
        ws = open_workspace(make_ws([svc("a", api_contracts=["g@1.0.0"])]))
        assert ws.services.loc[0, "has_lock"] is pd.NA
        assert not ws.has_input("lockfiles")

    def test_lock_presence(self, make_ws):
        root = make_ws(
            [svc("a", api_contracts=["g@1.0.0"]), svc("b", api_contracts=["g@1.0.0"])],
            files={
                "manifests/collected/a.specs.lock.json": {"version": "1.0", "dependencies": {"g": {"version": "1.0.0"}}}
            },
        )
        ws = open_workspace(root)
        assert ws.services.set_index("service")["has_lock"].tolist() == [True, False]
        assert ws.lockfiles[["service", "spec", "version"]].values.tolist() == [["a", "g", "1.0.0"]]

    def test_bad_optional_file_is_a_warning(self, make_ws):
        root = make_ws([svc("a")], files={"config/rules.yaml": "a: [1, 2\n"})
        ws = open_workspace(root)
        assert ws.rules == {}
        w = ws.warnings
        assert w.loc[w.file == "config/rules.yaml", "message"].str.contains("expected valid YAML").any()

    def test_link_outside_workspace_not_read(self, make_ws, tmp_path):
        outside = tmp_path / "secret.yaml"
        outside.write_text("events: [x.y.z.v1]\n")
        root = make_ws([svc("a")])
        (root / "config").mkdir()
        os.symlink(outside, root / "config" / "events-registry.yaml")
        ws = open_workspace(root)
        assert ws.events_registry is None
        assert any("outside the workspace" in m for m in ws.warnings.message)

    def test_catalog_link_outside_workspace_refused(self, make_ws, tmp_path):
        outside = tmp_path / "cat.yaml"
        outside.write_text("services: []\n")
        root = tmp_path / "ws2"
        (root / "catalog").mkdir(parents=True)
        os.symlink(outside, root / "catalog" / "service-index.yaml")
        with pytest.raises(InputError, match=r"a file inside the workspace"):
            open_workspace(root)

    def test_as_of(self, make_ws):
        ws = open_workspace(make_ws([svc("a")]))
        assert str(ws.resolve_as_of(None)) == "2025-10-10 00:00:00+00:00"
        assert str(ws.resolve_as_of("2026-04-10")) == "2026-04-10 00:00:00+00:00"
        with pytest.raises(ParameterError, match="as_of"):
            ws.resolve_as_of("someday")

    def test_team_scope(self, make_ws):
        root = make_ws(
            [
                svc("a", team="one"),
                svc("b", team="two", dependencies={"internal": ["a"], "external": []}),
                svc("c", team="three", dependencies={"internal": ["b"], "external": []}),
                svc("d", team="three"),
            ]
        )
        ws = open_workspace(root)
        assert ws.team_scope("one") == {"a", "b", "c"}
        assert ws.team_scope(None) == {"a", "b", "c", "d"}
        with pytest.raises(ParameterError, match=r"unknown team .* \(known: one, three, two\)"):
            ws.team_scope("nobody")

    def test_history_dedupes_latest_quality(self, make_ws):
        snap = {
            "metadata": {"generated_at": "2025-10-01T00:00:00Z"},
            "services": {"a": {"score": 90, "grade": "A", "status": "passing", "metrics": {"coverage": 0.8}}},
        }
        root = make_ws(
            [svc("a")],
            files={
                "analysis/historical/quality/quality_20251001_000000.json": snap,
                "catalog/latest_quality_snapshot.json": snap,
            },
        )
        ws = open_workspace(root)
        assert len(ws.quality_history) == 1
        assert ws.quality_history.loc[0, "maturity"] == "stable"  # filled from the catalog

    def test_every_table_matches_its_schema(self, make_ws):
        ws = open_workspace(make_ws([svc("a")])).load_all()
        for name in (
            "services",
            "contracts",
            "dependencies",
            "events",
            "manifests",
            "lockfiles",
            "spec_versions",
            "advisories",
            "drift_history",
            "quality_history",
            "exemptions",
            "teams",
            "inputs",
            "warnings",
        ):
            df = getattr(ws, name)
            assert tuple(df.columns) == TABLES[name].columns, name
            for col, dtype in TABLES[name].dtypes.items():
                if dtype == "str":
                    assert str(df[col].dtype) in ("str", "string"), (name, col)
                elif dtype != "object":
                    assert str(df[col].dtype) == dtype, (name, col, df[col].dtype)

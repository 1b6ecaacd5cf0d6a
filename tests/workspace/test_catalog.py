"""The catalog parser and the catalog tables, on inline literals."""

from __future__ import annotations

import pandas as pd
import pytest

from meta254lib import workspace as L
from meta254lib.core.errors import InputError


class TestCatalog:
    def test_top_level_list_is_an_error(self):
        with pytest.raises(InputError, match="expected a mapping with `metadata` and `services`"):
            L.parse_catalog(["a"], "c.yaml", [])

    def test_empty_file_is_an_error(self):
        with pytest.raises(InputError, match="an empty file"):
            L.parse_catalog(None, "c.yaml", [])

    def test_services_as_dict(self):
        warnings: list = []
        _, entries = L.parse_catalog({"services": {"a": {"domain": "ml"}}}, "c.yaml", warnings)
        assert entries == [{"name": "a", "domain": "ml"}]
        assert warnings[0][1] == "services"

    def test_field_coercions_warn(self):
        warnings: list = []
        entry = {
            "name": "a",
            "quality": {"coverage": "85%", "lint_pass": "true", "open_critical_vulns": -1},
            "maturity": "legendary",
            "runtime": "cobol",
        }
        t = L.services_tables([entry], "c.yaml", warnings)
        row = t["services"].iloc[0]
        assert row["coverage"] == pytest.approx(0.85)
        assert bool(row["lint_pass"]) is True
        assert row["open_critical_vulns"] is pd.NA
        fields = [w[1] for w in warnings]
        assert fields == [
            "services[0].maturity",
            "services[0].runtime",
            "services[0].quality.open_critical_vulns",
            "services[0].quality.coverage",
            "services[0].quality.lint_pass",
        ]

    def test_dependencies_split_and_resolved(self):
        entries = [
            {
                "name": "a",
                "dependencies": {"internal": ["b@1.2.0", "ghost"], "external": ["redis@7.0", "postgres", "b"]},
            },
            {"name": "b"},
        ]
        deps = L.services_tables(entries, "c.yaml", [])["dependencies"]
        got = (
            deps[["target", "kind", "version", "resolves", "misfiled"]]
            .astype(object)
            .where(deps.notna(), None)
            .values.tolist()
        )
        assert got == [
            ["b", "internal", "1.2.0", True, False],
            ["ghost", "internal", None, False, False],
            ["redis", "external", "7.0", None, False],
            ["postgresql", "external", None, None, False],
            ["b", "external", None, None, True],
        ]

    def test_contracts(self):
        entries = [{"name": "a", "api_contracts": ["g@1.2.3", "h@latest", "i@v2.0", "j"]}]
        c = L.services_tables(entries, "c.yaml", w := [])["contracts"]
        assert c[["spec", "version", "valid"]].values.tolist() == [
            ["g", "1.2.3", True],
            ["h", "latest", False],
            ["i", "v2.0", True],
            ["j", "", False],
        ]
        assert c.loc[2, "major"] == 2 and c.loc[2, "minor"] == 0
        assert any("normalised v2.0 to 2.0.0" in m for _, _, m in w)

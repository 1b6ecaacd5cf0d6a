"""Parsers of the spec registry and OSV advisories, on inline literals."""

from __future__ import annotations

from meta254lib import workspace as L


class TestSpecRegistryAndAdvisories:
    def test_latest_version_not_in_history(self):
        df = L.parse_spec_registry({"g": {"latest_version": "1.3.0", "versions": [{"version": "1.0.0"}]}}, "s.json", [])
        assert df[["version", "is_latest"]].values.tolist() == [["1.0.0", False], ["1.3.0", True]]

    def test_bad_versions_skipped(self):
        warnings: list = []
        df = L.parse_spec_registry({"g": {"versions": ["1.0.0", "latest", {"version": "^1.2"}]}}, "s.json", warnings)
        assert df["version"].tolist() == ["1.0.0"]
        assert [w[1] for w in warnings] == ["g.versions[1].version", "g.versions[2].version"]

    def test_osv_ranges(self):
        warnings: list = []
        rows = L.parse_advisory(
            {
                "id": "GHSA-1",
                "aliases": ["CVE-2025-1"],
                "affected": [
                    {
                        "package": {"name": "gateway-core", "ecosystem": "npm"},
                        "ranges": [
                            {
                                "type": "SEMVER",
                                "events": [
                                    {"introduced": "1.0.0"},
                                    {"fixed": "1.1.1"},
                                    {"introduced": "2.0.0"},
                                    {"last_affected": "2.0.3"},
                                ],
                            },
                            {"type": "GIT", "events": [{"introduced": "abc"}]},
                            {"type": "ECOSYSTEM", "events": [{"introduced": "3.0.0"}, {"fixed": "2.0.0"}]},
                        ],
                    }
                ],
                "severity": [{"type": "CVSS_V3", "score": "7.5"}],
            },
            "a.json",
            warnings,
        )
        (row,) = rows
        assert row["intervals"] == (("1.0.0", "1.1.1", ""), ("2.0.0", "", "2.0.3"), ("3.0.0", "2.0.0", ""))
        assert (row["severity"], row["cvss"], row["fixed"], row["aliases"]) == (
            "high",
            7.5,
            "1.1.1,2.0.0",
            "CVE-2025-1",
        )
        assert [w[1] for w in warnings] == ["affected[0].ranges[1].type", "affected[0].ranges[2]"]

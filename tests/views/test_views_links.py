"""Links of report pages: manifests in the service's repository, advisories, and the safe-href gate."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from meta254lib.views import links as lk

XSS = "<script>alert(1)</script>"


@pytest.mark.parametrize(
    ("repo", "path", "expected"),
    [
        (
            "https://github.com/o/r",
            "services/api",
            "https://github.com/o/r/blob/HEAD/services/api/service-manifest.yaml",
        ),
        ("https://github.com/o/r.git", "a", "https://github.com/o/r/blob/HEAD/a/service-manifest.yaml"),
        ("https://github.com/o/r/", "/a/", "https://github.com/o/r/blob/HEAD/a/service-manifest.yaml"),
        ("https://github.com/o/r.git/", "", "https://github.com/o/r/blob/HEAD/service-manifest.yaml"),
        ("https://github.com/o/r", "a b", "https://github.com/o/r/blob/HEAD/a%20b/service-manifest.yaml"),
        ("", "a", None),
        (None, "a", None),
        ("javascript:alert(1)//", "a", None),
        ("file:///etc", "passwd", None),
    ],
)
def test_manifest_url_from_repo_and_path(repo, path, expected):
    assert lk.manifest_url(repo, path, "svc") == expected


def test_manifest_url_pattern_for_other_forges():
    pattern = "{repo}/-/blob/main/{path}/service-manifest.yaml?s={service}"
    got = lk.manifest_url("https://gitlab.example/g/r.git", "svc", "my-svc", pattern)
    assert got == "https://gitlab.example/g/r/-/blob/main/svc/service-manifest.yaml?s=my-svc"


def test_advisory_url_prefers_the_first_http_reference():
    refs = [{"type": "WEB", "url": "javascript:alert(1)"}, {"url": "https://a.example/x"}, {"url": "https://b/y"}]
    assert lk.advisory_url("GHSA-1", refs) == "https://a.example/x"
    assert lk.advisory_url("GHSA-1", []) == "https://osv.dev/vulnerability/GHSA-1"
    assert lk.advisory_url("a b", None) == "https://osv.dev/vulnerability/a%20b"
    assert lk.advisory_url("", [{"url": "https://a/x"}]) is None


@pytest.mark.parametrize(
    "url",
    [XSS, "javascript:alert(1)", "JAVASCRIPT:x", "data:text/html,x", "//host/x", "https://", 'https://a/"x', "#a b"],
)
def test_safe_href_rejects_everything_but_http_and_anchors(url):
    assert lk.safe_href(url) is None


def test_advisory_references_read_from_the_loaded_files(tmp_path):
    (tmp_path / "advisories").mkdir()
    doc = {"id": "OSV-1", "references": [{"type": "ADVISORY", "url": "https://sec.example/OSV-1"}]}
    (tmp_path / "advisories" / "a.json").write_text(json.dumps(doc))
    (tmp_path / "advisories" / "b.json").write_text(json.dumps({"id": "OSV-2"}))

    class Ws:
        root = tmp_path
        advisories = pd.DataFrame(
            {"advisory_id": ["OSV-1", "OSV-2"], "file": ["advisories/a.json", "advisories/b.json"]}
        )

    refs = lk.advisory_references(Ws())
    assert refs == {"OSV-1": doc["references"], "OSV-2": []}
    assert lk.advisory_links("OSV-1, OSV-2", refs) == [
        ("OSV-1", "https://sec.example/OSV-1"),
        ("OSV-2", "https://osv.dev/vulnerability/OSV-2"),
    ]


def test_manifest_urls_skip_services_without_repo():
    services = pd.DataFrame({"service": ["a", "b"], "repo": ["https://h/o/r.git", ""], "path": ["svc/a", "b"]})
    assert lk.manifest_urls(services) == {"a": "https://h/o/r/blob/HEAD/svc/a/service-manifest.yaml"}

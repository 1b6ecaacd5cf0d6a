"""Text edits: package-manager commands and manifest diffs."""

from __future__ import annotations

import pytest

from meta254lib.remediation import (
    manifest_diff,
    runtime_commands,
)


@pytest.mark.parametrize(
    ("runtime", "eco", "expected"),
    [
        ("python", "PyPI", ("pip install --upgrade pkg==1.2.3", "pip freeze > requirements.txt")),
        ("nodejs", "npm", ("npm install pkg@1.2.3", "npm audit fix")),
        ("go", "Go", ("go get pkg@v1.2.3", "go mod tidy")),
        (
            "java",
            "Maven",
            (
                "mvn versions:use-dep-version -Dincludes=pkg -DdepVersion=1.2.3 -DforceVersion=true",
                "mvn dependency:tree -Dincludes=pkg",
            ),
        ),
        ("python", "Bitnami", ()),
        ("python", "", ()),
    ],
)
def test_runtime_commands(runtime, eco, expected):
    assert runtime_commands(runtime, eco, "pkg", "1.2.3")[0] == expected


def test_manifest_diff_shapes():
    flow = "name: a\napi_contracts: [x@1.0.0, 'y@2.0.0']\n"
    assert manifest_diff(flow, "api_contracts", "y@2.0.0", "y@2.1.0").splitlines()[-2:] == [
        "-api_contracts: [x@1.0.0, 'y@2.0.0']",
        "+api_contracts: [x@1.0.0, 'y@2.1.0']",
    ]
    nested = "dependencies:\n  internal:\n  - redis@7.0\n  external:\n    - redis@7.0  # cache\nx: 1\n"
    lines = manifest_diff(nested, "dependencies.external", "redis@7.0", "redis@7.0.16").splitlines()
    assert [line for line in lines[2:] if line[:1] in "+-"] == [
        "-    - redis@7.0  # cache",
        "+    - redis@7.0.16  # cache",
    ]
    # an entry of another list is never edited
    assert (
        manifest_diff(
            "events_in:\n- gateway-core@1.0.0\napi_contracts: []\n", "api_contracts", "gateway-core@1.0.0", "x"
        )
        == ""
    )

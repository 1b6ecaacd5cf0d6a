"""Extreme values in a workspace (issue 18, defects 3 and 7, input side): warnings, never exit 3.

A version part of 2^63 or more, and times in year 9999 or past it, load (cold and through the warm-load
cache); what cannot be represented is a warning naming the file, the field and the value.
"""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import svc

from meta254lib.cli import main
from meta254lib.workspace import cache as C
from meta254lib.workspace.workspace import open_workspace

REGISTRY = "config/specs-index.json"
THIRTY = 123456789012345678901234567890
HUGE_PIN = "g@9223372036854775808.0.0"


@pytest.fixture(params=["off", "on"])
def cache_mode(request, monkeypatch, tmp_path) -> str:
    monkeypatch.setenv(C.ENV_MODE, request.param)
    monkeypatch.setenv(C.ENV_DIR, str(tmp_path / "cache"))
    return request.param


def _run(*args: str) -> int:
    result = CliRunner().invoke(main, list(args))
    assert "internal error" not in result.output and "Traceback" not in result.output, result.output
    return result.exit_code


def _warned(ws, file: str, field: str) -> list[str]:
    w = ws.warnings
    return list(w[(w["file"] == file) & (w["field"] == field)]["message"])


def test_thirty_digit_latest_version_is_a_warning_and_drift_runs(make_ws, cache_mode) -> None:
    root = make_ws(
        services=[svc("a", api_contracts=["g@1.0.0"]), svc("b", api_contracts=["h@1.0.0"])],
        files={REGISTRY: f'{{"g": {{"latest_version": {THIRTY}}}, "h": {{"latest_version": "1.1.0"}}}}'},
    )
    for _ in range(2):  # cold, then warm
        ws = open_workspace(root).load_all()
        messages = _warned(ws, REGISTRY, "g.latest_version")
        assert f"'{THIRTY}': a version part is beyond int64 (2^63 or more); kept as text" in messages
        row = ws.spec_versions.set_index("spec").loc["g"]
        assert row["version"] == str(THIRTY) and bool(row["is_latest"])
        assert pd.isna(row["major"]) and pd.isna(row["minor"]) and pd.isna(row["patch"])
    assert _run("drift", "--workspace", str(root)) in (0, 1)
    assert _run("validate", "--workspace", str(root)) in (0, 1)
    assert _run("plan", "--workspace", str(root)) in (0, 1)


def test_pin_beyond_int64_is_a_warning_and_every_command_runs(make_ws, cache_mode) -> None:
    root = make_ws(
        services=[svc("a", api_contracts=[HUGE_PIN]), svc("b", dependencies={"internal": ["a"], "external": []})],
        files={REGISTRY: {"g": {"latest_version": "1.2.0"}}},
    )
    for _ in range(2):
        ws = open_workspace(root).load_all()
        assert _warned(ws, "catalog/service-index.yaml", "services[0].api_contracts[0]") == [
            f"'{HUGE_PIN}': a version part is beyond int64 (2^63 or more); kept as text, major/minor/patch not set"
        ]
        row = ws.contracts.iloc[0]
        assert row["version"] == "9223372036854775808.0.0" and bool(row["valid"])
        assert pd.isna(row["major"])
    for command in (
        ["validate"],
        ["drift"],
        ["plan"],
        ["impact", "--spec", "g@9223372036854775809.0.0"],
        ["impact", "--service", "a"],
    ):
        assert _run(*command, "--workspace", str(root)) in (0, 1), command


def test_catalog_generated_in_9999_loads(make_ws, cache_mode) -> None:
    root = make_ws(services=[svc("a")], generated_at="9999-12-31T23:59:59.123456789Z")
    for _ in range(2):
        ws = open_workspace(root).load_all()
        assert ws.generated_at.isoformat() == "9999-12-31T23:59:59.123456+00:00"
        assert ws.warnings.empty
    assert _run("validate", "--workspace", str(root)) in (0, 1)


def test_quality_snapshots_dated_9999_and_beyond(make_ws, cache_mode) -> None:
    q = "analysis/historical/quality/quality_{}.json"
    snap = {"services": {"a": {"score": 80, "metrics": {"coverage": 0.8}}}}
    root = make_ws(
        services=[svc("a")],
        files={
            q.format("99991231_000000"): {"metadata": {"generated_at": "9999-12-31T05:21:55Z"}, **snap},
            q.format("20251001_000000"): {"metadata": {"generated_at": "10000-01-01T00:00:00Z"}, **snap},
        },
    )
    for _ in range(2):
        ws = open_workspace(root).load_all()
        times = sorted(t.isoformat() for t in ws.quality_history["snapshot_time"])
        assert times == ["2025-10-01T00:00:00+00:00", "9999-12-31T05:21:55+00:00"]
        assert _warned(ws, q.format("20251001_000000"), "metadata.generated_at") == [
            "'10000-01-01T00:00:00Z' is outside the times meta254 represents (0001-01-01 to 9999-12-31 UTC); ignored"
        ]
    assert _run("quality", "--workspace", str(root)) in (0, 1)

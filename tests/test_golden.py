"""Golden outputs: every command's machine-readable output on the bundled sample (and upstream when present).

Each case runs the CLI in-process and compares its standard output with ``tests/golden/<name>``. A difference is
either a bug or a deliberate change; for the latter, rewrite the files with ``META254_UPDATE_GOLDEN=1 pytest
tests/test_golden.py`` and say why in the commit.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from meta254lib.cli import main

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden"
SAMPLE = "data/sample"
UPSTREAM = "../shared/upstream"

CASES: dict[str, list[str]] = {
    "sample-validate.json": ["validate", "-w", SAMPLE, "--format", "json"],
    "sample-drift.json": ["drift", "-w", SAMPLE, "--format", "json"],
    "sample-drift.csv": ["drift", "-w", SAMPLE, "--format", "csv"],
    "sample-drift-early.json": ["drift", "-w", SAMPLE, "--format", "json", "--as-of", "2025-08-01"],
    "sample-impact-service.json": ["impact", "-w", SAMPLE, "--service", "auth-service", "--format", "json"],
    "sample-impact-spec.json": ["impact", "-w", SAMPLE, "--spec", "auth-core@3.0.0", "--format", "json"],
    "sample-impact-event.json": ["impact", "-w", SAMPLE, "--event", "auth.token.issued.v1", "--format", "json"],
    "sample-impact-external.json": ["impact", "-w", SAMPLE, "--external", "postgresql@17", "--format", "json"],
    "sample-quality.json": ["quality", "-w", SAMPLE, "--format", "json"],
    "sample-quality-documented.json": ["quality", "-w", SAMPLE, "--model", "documented", "--format", "json"],
    "sample-trends.json": ["trends", "-w", SAMPLE, "--format", "json"],
    "sample-graph.json": ["graph", "-w", SAMPLE, "--format", "json"],
    "sample-graph.csv": ["graph", "-w", SAMPLE, "--format", "csv"],
    "sample-plan.json": ["plan", "-w", SAMPLE, "--format", "json"],
    "sample-plan.csv": ["plan", "-w", SAMPLE, "--format", "csv"],
    "sample-plan.md": ["plan", "-w", SAMPLE, "--format", "markdown"],
    "upstream-validate.json": ["validate", "-w", UPSTREAM, "--format", "json"],
    "upstream-drift.json": ["drift", "-w", UPSTREAM, "--format", "json"],
    "upstream-impact-auth.json": ["impact", "-w", UPSTREAM, "--service", "auth", "--format", "json"],
    "upstream-quality.json": ["quality", "-w", UPSTREAM, "--format", "json"],
    "upstream-trends.json": ["trends", "-w", UPSTREAM, "--format", "json"],
    "upstream-graph.json": ["graph", "-w", UPSTREAM, "--format", "json"],
    "upstream-plan.json": ["plan", "-w", UPSTREAM, "--format", "json"],
}


def run_case(args: list[str]) -> tuple[int, str]:
    """Run one CLI case from the repository root; the exit code and standard output."""
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        result = CliRunner().invoke(main, args, catch_exceptions=False)
    finally:
        os.chdir(cwd)
    return result.exit_code, result.stdout.replace(str(REPO), "<repo>")


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_output(name: str) -> None:
    args = CASES[name]
    if UPSTREAM in args and not (REPO / UPSTREAM / "catalog" / "service-index.yaml").is_file():
        pytest.skip("../shared/upstream is not present")
    code, out = run_case(args)
    text = f"exit {code}\n{out}"
    path = GOLDEN / name
    if os.environ.get("META254_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no golden file {path.name}: run with META254_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{' '.join(args)} differs from tests/golden/{name}"

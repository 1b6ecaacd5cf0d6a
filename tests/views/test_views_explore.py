"""The what-if panel, driven without a browser: its answers equal the CLI's."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import SAMPLE

import meta254lib as m
from meta254lib.cli import main

pytest.importorskip("ipywidgets")


def test_picking_a_service_answers_like_meta254_impact():
    panel = m.explore(m.open_workspace(SAMPLE))
    assert panel.result is None
    panel.pickers["service"].value = ("auth-service",)
    cli = json.loads(
        CliRunner().invoke(main, ["impact", "-w", str(SAMPLE), "--service", "auth-service", "--format", "json"]).stdout
    )
    assert sorted(panel.result.impacted["service"]) == sorted(r["service"] for r in cli["impacted"])
    assert panel.result.summary["weighted_blast_radius"] == cli["summary"]["weighted_blast_radius"]
    assert panel.message.value.startswith("service:auth-service impacts 14 services")


def test_depth_team_and_errors_rerender():
    panel = m.explore(m.open_workspace(SAMPLE))
    panel.pickers["service"].value = ("auth-service",)
    panel.depth.value = 1
    assert set(panel.result.impacted["distance"]) == {1}
    panel.versions["spec"].value = "auth-cor@3.0.0"
    assert panel.result is None and "did you mean auth-core?" in panel.message.value

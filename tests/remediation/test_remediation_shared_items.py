"""The fleet plan's items: built once per state, and once per report run through the run's shared folder."""

from __future__ import annotations

import pandas as pd
import pytest

from meta254lib import open_workspace
from meta254lib.remediation import shared_items
from meta254lib.remediation.inputs import PlanInputs
from meta254lib.remediation.plan import build_plan, plan_workspace
from meta254lib.remediation.shared_items import ENV_SHARE, fleet_items, plan_items_at
from meta254lib.state.analysis import analysis_state


@pytest.fixture
def state(sample):
    return analysis_state(open_workspace(sample, cache=False), None)


def _fresh(sample):
    """Another process's view: a new workspace object, so a new analysis state and an empty memo."""
    return analysis_state(open_workspace(sample, cache=False), None)


def test_items_are_the_plans_items(state, monkeypatch):
    monkeypatch.delenv(ENV_SHARE, raising=False)
    built = build_plan(PlanInputs.from_state(state), as_of=state.as_of).items
    got = plan_items_at(state)
    pd.testing.assert_frame_equal(got, built)
    assert len(got) > 50 and got["issue_ids"].map(type).eq(tuple).all()
    got.loc[0, "service"] = "edited"  # a copy: the memo is not edited through it
    assert plan_items_at(state).loc[0, "service"] == built.loc[0, "service"]


def test_fleet_items_are_plan_workspace_items(state, monkeypatch):
    # the index's fix-first table and `meta254 week` read these: the plan page's items, trains included
    monkeypatch.delenv(ENV_SHARE, raising=False)
    pd.testing.assert_frame_equal(fleet_items(state), plan_workspace(state.ws, state.as_of).items)


def test_a_run_builds_once_and_the_others_read_it_back(sample, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_SHARE, str(tmp_path))
    first = plan_items_at(_fresh(sample))
    files = sorted(p.name for p in tmp_path.glob("plan-items-*.m254"))
    assert len(files) == 1

    def no_build(state):
        raise AssertionError("built again")

    monkeypatch.setattr(shared_items, "_build", no_build)
    again = plan_items_at(_fresh(sample))
    pd.testing.assert_frame_equal(again, first)


def test_another_as_of_is_another_file(sample, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_SHARE, str(tmp_path))
    ws = open_workspace(sample, cache=False)
    plan_items_at(analysis_state(ws, None))
    plan_items_at(analysis_state(ws, "2025-09-01"))
    assert len(list(tmp_path.glob("plan-items-*.m254"))) == 2


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip"])
def test_a_damaged_file_is_rebuilt_not_trusted(sample, tmp_path, monkeypatch, damage):
    monkeypatch.setenv(ENV_SHARE, str(tmp_path))
    first = plan_items_at(_fresh(sample))
    (path,) = tmp_path.glob("plan-items-*.m254")
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "garbage":
        data = bytearray(b"not a meta254 file")
    else:
        data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    calls = []
    real = shared_items._build
    monkeypatch.setattr(shared_items, "_build", lambda st: calls.append(1) or real(st))
    pd.testing.assert_frame_equal(plan_items_at(_fresh(sample)), first)
    assert calls == [1]


def test_without_a_usable_folder_it_just_builds(state, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_SHARE, str(tmp_path / "absent"))
    assert len(plan_items_at(state)) > 0 and not (tmp_path / "absent").exists()

"""Automation classes of spec upgrades."""

from __future__ import annotations

import pytest
from remediation_cases import (
    _pin,
    _plan_from,
    _services,
    _spec,
)


@pytest.mark.parametrize(
    ("pinned", "versions", "quality", "automation", "update_type"),
    [
        ("1.0.0", [("1.0.0", ""), ("1.0.3", "bugfix")], 75, "automated", "patch"),
        ("1.0.0", [("1.0.0", ""), ("1.0.3", "bugfix")], 65, "manual", "patch"),
        ("1.0.0", [("1.0.0", ""), ("1.3.0", "feature")], 85, "approval", "minor"),
        ("1.0.0", [("1.0.0", ""), ("1.3.0", "feature")], 75, "manual", "minor"),
        ("1.0.0", [("1.0.0", ""), ("1.4.0", "feature")], 95, "manual", "minor"),
        ("1.0.0", [("1.0.0", ""), ("1.1.0", "breaking")], 95, "manual", "minor"),
        ("1.0.0", [("1.0.0", ""), ("2.0.0", "breaking")], 95, "manual", "major"),
    ],
)
def test_automation_classes(pinned, versions, quality, automation, update_type):
    services = _services("a")
    plan = _plan_from(services, [_pin("a", "api", pinned)], _spec("api", *versions), quality={"a": quality})
    it = plan.items.iloc[0]
    assert (it["automation"], it["update_type"]) == (automation, update_type)
    assert it["automation_reason"].startswith(automation + ":")

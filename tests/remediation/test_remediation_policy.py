"""The plan policy read from upgrade-policies.yaml."""

from __future__ import annotations

import pandas as pd
import pytest

from meta254lib.core.errors import InputError
from meta254lib.remediation import (
    plan_policy_from_config,
)

# --- policy ---------------------------------------------------------------------------------------------


def test_policy_reads_enabled_of_the_auto_upgrade_mappings():
    doc = {
        "auto_upgrade": {"patch": {"enabled": False}, "minor": {"enabled": True, "max_services_per_pr": 2}},
        "scheduling": {
            "allowed_days": [1, 3],
            "max_concurrent_prs": 1,
            "business_hours": {"start": "08:00", "end": "12:00"},
        },
        "maintenance_windows": {
            "windows": [{"name": "Night", "cron": "0 9-11 * * 3", "blocked_operations": ["major_upgrades"]}]
        },
        "notifications": {"channels": {"auto_upgrades": "#up"}},
    }
    p = plan_policy_from_config(doc)
    assert (p.auto_enabled["patch"], p.auto_enabled["minor"], p.auto_enabled["major"]) == (False, True, False)
    assert (p.max_services_per_pr["minor"], p.allowed_days, p.max_concurrent_prs) == (2, (1, 3), 1)
    assert p.business_hours == (8, 12) and p.channels == {"auto_upgrades": "#up"}
    assert p.windows[0].blocks("major_upgrades", pd.Timestamp("2025-10-15 10:00"))
    with pytest.raises(InputError, match=r"auto_upgrade.minor.enabled: expected true or false"):
        plan_policy_from_config({"auto_upgrade": {"minor": {"enabled": "yes"}}})
    with pytest.raises(InputError, match=r"maintenance_windows.windows\[0\].cron"):
        plan_policy_from_config({"maintenance_windows": {"windows": [{"cron": "every day"}]}})

"""Value coercions of the loaders (timestamps), on inline literals."""

from __future__ import annotations

import pytest

from meta254lib import workspace as L


class TestTimestamps:
    @pytest.mark.parametrize(
        "text",
        ["2025-10-10T17:39:11+00:00", "2025-10-10T17:39:11Z", "2025-10-10T17:39:11", "2025-10-10T19:39:11+02:00"],
    )
    def test_spellings_agree(self, text):
        assert str(L.parse_timestamp(text)) == "2025-10-10 17:39:11+00:00"

    def test_file_name(self):
        assert str(L.timestamp_from_filename("x/20251009_221314_drift_report.json")) == "2025-10-09 22:13:14+00:00"
        assert L.timestamp_from_filename("latest_drift_report.json") is None

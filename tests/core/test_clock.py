"""The one time rule: naive is UTC, aware is converted, dates are midnight UTC."""

from __future__ import annotations

import pandas as pd
import pytest

from meta254lib.core.clock import history_cutoff, resolve_as_of, to_utc, to_utc_index
from meta254lib.core.errors import ParameterError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-10-10", "2025-10-10T00:00:00+00:00"),
        ("2025-10-10T12:00:00", "2025-10-10T12:00:00+00:00"),
        ("2025-10-10T12:00:00+02:00", "2025-10-10T10:00:00+00:00"),
        (pd.Timestamp("2025-10-10T23:30:00-01:00"), "2025-10-11T00:30:00+00:00"),
    ],
)
def test_to_utc_reads_naive_as_utc_and_converts_aware(value, expected):
    assert to_utc(value).isoformat() == expected


def test_to_utc_index_localises_naive_and_converts_aware():
    assert [t.isoformat() for t in to_utc_index(["2025-01-01T00:00"])] == ["2025-01-01T00:00:00+00:00"]
    aware = pd.DatetimeIndex(["2025-01-01T01:00+01:00"])
    assert [t.isoformat() for t in to_utc_index(aware)] == ["2025-01-01T00:00:00+00:00"]


def test_resolve_as_of_prefers_the_given_value_then_the_default():
    assert resolve_as_of("2025-10-10", "2025-01-01").isoformat() == "2025-10-10T00:00:00+00:00"
    assert resolve_as_of("  ", "2025-01-01").isoformat() == "2025-01-01T00:00:00+00:00"
    assert resolve_as_of(None, "2025-01-01").unit == "us"


@pytest.mark.parametrize("bad", [None, "yesterday"])
def test_resolve_as_of_names_the_expected_form(bad):
    with pytest.raises(ParameterError, match="as_of"):
        resolve_as_of(bad)


def test_history_cutoff_is_the_last_microsecond_of_the_utc_day():
    assert history_cutoff("2025-10-09T01:00:00+02:00").isoformat() == "2025-10-08T23:59:59.999999+00:00"

"""Far-future and far-past times read from files (issue 18, defect 7, input side): never a crash."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from meta254lib.core.clock import MAX_TIME, MIN_TIME, TimeOutOfRange, to_utc, to_utc_bounded


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9999-12-31", "9999-12-31T00:00:00+00:00"),
        ("9999-12-31T23:59:59.123456789Z", "9999-12-31T23:59:59.123456+00:00"),
        ("9999-12-31T23:59:59.999999+00:00", "9999-12-31T23:59:59.999999+00:00"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00+00:00"),
        ("9999-12-31T20:00:00-03:00", "9999-12-31T23:00:00+00:00"),
        (dt.datetime(9999, 12, 31, tzinfo=dt.UTC), "9999-12-31T00:00:00+00:00"),
    ],
)
def test_representable_far_times_load(value, expected) -> None:
    got = to_utc_bounded(value)
    assert got.isoformat() == expected
    assert MIN_TIME <= got <= MAX_TIME


@pytest.mark.parametrize(
    "value", ["9999-12-31T23:00:00-05:00", "10000-01-01", "+123456-01-01T00:00:00Z", "0001-01-01T00:30:00+01:00"]
)
def test_unrepresentable_times_raise_out_of_range(value) -> None:
    with pytest.raises(TimeOutOfRange):
        to_utc_bounded(value)


def test_ordinary_times_are_to_utc() -> None:
    for value in ("2025-10-10", "2025-10-10T12:00:00+02:00", "2025-10-09T22:30:38.509155Z", pd.Timestamp(0)):
        assert to_utc_bounded(value) == to_utc(value)
        assert to_utc_bounded(value).unit == to_utc(value).unit
    with pytest.raises(ValueError):
        to_utc_bounded("yesterday")
    assert to_utc_bounded(None) is pd.NaT

"""Version parts of any size (issue 18, defect 3): compared as integers, bounded only where tables need it."""

from __future__ import annotations

from meta254lib.core.versions import (
    INT64_MAX,
    MAX_DISTANCE,
    fits_int64,
    lag_kind,
    parse_version,
    semver_distance,
    table_parts,
)

HUGE = "9223372036854775808.0.0"  # 2^63
THIRTY = "123456789012345678901234567890"


def test_fits_int64_at_the_boundary() -> None:
    assert fits_int64(parse_version(f"{INT64_MAX}.{INT64_MAX}.{INT64_MAX}"))
    assert not fits_int64(parse_version(HUGE))
    assert not fits_int64(parse_version(f"1.{INT64_MAX + 1}.0"))
    assert not fits_int64(parse_version(f"1.0.{INT64_MAX + 1}"))


def test_table_parts() -> None:
    assert table_parts(parse_version("1.2.3")) == (1, 2, 3)
    assert table_parts(parse_version(HUGE)) == (None, None, None)
    assert table_parts(parse_version(THIRTY)) == (None, None, None)
    assert table_parts(None) == (None, None, None)


def test_huge_versions_still_compare() -> None:
    assert parse_version(HUGE) > parse_version("9223372036854775807.0.0")
    assert parse_version(THIRTY).text == f"{THIRTY}.0.0"
    assert lag_kind("1.0.0", THIRTY) == "major"


def test_distance_saturates() -> None:
    assert semver_distance(parse_version("1.0.0"), parse_version(THIRTY)) == (MAX_DISTANCE, 0, 0)
    assert semver_distance(parse_version("1.0.0"), parse_version(f"1.0.{THIRTY}")) == (0, 0, MAX_DISTANCE)
    assert float(MAX_DISTANCE) == MAX_DISTANCE  # exact as a float: survives a float column and JSON


def test_thousands_of_digits_are_not_a_version_and_do_not_crash() -> None:
    assert parse_version("1" * 5000) is None
    assert parse_version("1.0.0-" + "1" * 5000) is not None
    assert parse_version("1.0.0-" + "1" * 5000) < parse_version("1.0.0")


def test_parse_version_is_memoised_and_immutable():
    # a fleet repeats its versions: the parse is cached, which is safe because a SemVer is frozen
    from dataclasses import FrozenInstanceError

    import pytest

    from meta254lib.core.versions import parse_version

    a, b = parse_version("v1.2"), parse_version("v1.2")
    assert a is b and a.text == "1.2.0" and a.note == "normalised v1.2 to 1.2.0"
    assert parse_version(" 1.2.0 ") == a and parse_version(" 1.2.0 ").note == ""
    assert a.key == (1, 2, 0, (1,)) and parse_version("1.2.0-rc.1").key == (1, 2, 0, (0, ((1, 0, "rc"), (0, 1, ""))))
    with pytest.raises(FrozenInstanceError):
        a.major = 3

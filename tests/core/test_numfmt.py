"""The no-signed-zero rule of core.numfmt, shared by the views' formatter and the analyses' sentences."""

from __future__ import annotations

import pytest

from meta254lib.core.numfmt import no_negative_zero, signed
from meta254lib.views import weekly


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-0", "0"),
        ("-0.00", "0.00"),
        ("+0.0", "0.0"),
        ("r = -0.00; -0.05; -0.001; v-0.0; 1-0; x.-0", "r = 0.00; -0.05; -0.001; v-0.0; 1-0; x.-0"),
        ("(-0.0)", "(0.0)"),
    ],
)
def test_signed_zeros_lose_their_sign_and_nothing_else_changes(text, expected):
    assert no_negative_zero(text) == expected


def test_typographic_minus_zero_is_unsigned_too():
    assert no_negative_zero("r = \u22120.00") == "r = 0.00"


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [(0.123, 2, "+0.12"), (-0.4, 2, "-0.40"), (-0.004, 2, "0.00"), (-0.0, 2, "0.00"), (0.0, 1, "0.0"), (-1.5, 0, "-2")],
)
def test_signed(value, decimals, expected):
    assert signed(value, decimals) == expected


def test_views_reuse_the_core_rule():
    assert weekly.no_negative_zero is no_negative_zero

"""The correlation sentence: r with its sign and two decimals, never "-0.00"."""

from __future__ import annotations

import numpy as np

from meta254lib.quality.correlation import correlation_statement, lag_correlation


def test_a_tiny_negative_r_reads_zero_not_minus_zero():
    text = correlation_statement(-0.001, 40, 1, "All services")
    assert text.startswith("All services: r = 0.00 between drift backlog")
    assert "-0.00" not in text and "+0.00" not in text
    assert correlation_statement(-0.42, 40, 1, "a").startswith("a: r = -0.42 ")
    assert correlation_statement(0.42, 40, 1, "a").startswith("a: r = +0.42 ")


def test_a_table_whose_r_rounds_to_zero_says_r_equals_zero():
    rng = np.random.default_rng(58)  # 10 services x 8 weeks of unrelated backlog and score walks
    scores = np.cumsum(rng.normal(0, 1, (10, 8)), axis=1) + 80
    backlog = rng.integers(0, 9, (10, 8)).astype(float)
    table = lag_correlation(scores, backlog, np.array([f"s{i}" for i in range(10)]), (1,))
    platform = table.iloc[0]
    assert platform["scope"] == "platform" and -0.005 < platform["r"] < 0
    assert platform["statement"].startswith("All services: r = 0.00 between drift backlog")
    assert not any("-0.00" in s or "+0.00" in s for s in table["statement"])

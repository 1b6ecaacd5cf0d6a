"""Quality figures at fleet size (meta254lib.views.quality): aggregates above FIGURE_MAX_SERVICES services,
one mark per service below (the 60-service sample)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from meta254lib.views import quality_models as q


def _comparison(n: int) -> pd.DataFrame:
    # implemented 0..n-1 scaled to 0..99; documented = implemented + 10 for even ranks, -10 for odd ones
    imp = np.arange(n) * 100.0 / n
    doc = imp + np.where(np.arange(n) % 2 == 0, 10.0, -10.0)
    return pd.DataFrame({"service": [f"s{i:05}" for i in range(n)], "implemented_score": imp, "documented_score": doc})


def test_a_small_comparison_draws_one_dumbbell_per_service():
    fig = q.model_comparison_figure(_comparison(60))
    assert len(fig.data) == 60 + 2
    assert len(fig.data[-1].y) == 60


def test_a_fleet_comparison_draws_a_percentile_band():
    n = 10_000
    fig = q.model_comparison_figure(_comparison(n))
    assert len(fig.data) == 4  # band top, band bottom, two medians
    assert f"{n:,} services" in fig.layout.title.text
    band_top, band_bottom, imp, doc = fig.data
    assert len(imp.x) == 100 and imp.x[0] == 0.5 and imp.x[-1] == 99.5
    # percentile k holds services k*100..k*100+99: implemented k .. k+0.99, median k + 0.495
    assert imp.y[0] == 0.5 and imp.y[42] == 42.5  # rounded to 2 decimals
    assert doc.y[42] == 42.5  # half +10, half -10: the median sits between
    # 10th and 90th percentile of 32.01, 32.03 .. 32.99 and 52.00, 52.02 .. 52.98 (linear interpolation)
    assert band_top.y[42] == 52.78 and band_bottom.y[42] == 32.21
    assert "100 services" in imp.text[0]
    assert len(fig.to_json()) < 50_000  # versus about 2 MB for 10,000 dumbbells


def _whatif(n: int, changed_every: int) -> pd.DataFrame:
    base = np.linspace(40, 99, n)
    return pd.DataFrame(
        {
            "snapshot_time": pd.Timestamp("2025-10-06", tz="UTC"),
            "service": [f"s{i}" for i in range(n)],
            "model": "implemented",
            "base_score": base,
            "score": base - 1.0,
            "grade_changed": np.arange(n) % changed_every == 0,
            "base_grade": "B",
            "grade": "C",
            "base_rank": np.arange(n) + 1,
            "rank": np.arange(n) + 1,
        }
    )


def test_a_fleet_what_if_draws_a_density_and_the_grade_changes():
    w = _whatif(5_000, 10)
    fig = q.what_if_figure(w)
    kinds = [t.type for t in fig.data]
    assert kinds == ["heatmap", "scatter", "scatter"]
    density = fig.data[0]
    assert sum(v for row in density.z for v in row if v) == 4_500  # every same-grade service counted once
    changed = fig.data[2]
    assert len(changed.x) == 500 and changed.text is None and "500 services" in changed.name
    assert "5,000 services" in fig.layout.title.text


def test_a_small_what_if_keeps_one_labelled_point_per_service():
    fig = q.what_if_figure(_whatif(60, 10))
    assert [t.type for t in fig.data] == ["scatter"] * 3
    assert len(fig.data[1].x) == 54 and len(fig.data[2].text) == 6

"""Tests for meta254lib.devtools.baselines.reach: the naive blast-radius baseline and its timings."""

from __future__ import annotations

import pytest

from meta254lib.devtools.baselines.reach import bench_blast_radius


def test_bench_reports_agreement_and_timings():
    r = bench_blast_radius(400, 1200, seed=5, sample=50)
    assert r["agree"] is True
    assert r["reference_full"] is False
    assert r["reference_sample"] == 50
    assert r["n_services"] == 400
    assert r["reference_extrapolated_s"] == pytest.approx(r["reference_sampled_s"] * 400 / 50, rel=0.01, abs=0.002)
    full = bench_blast_radius(200, 600, seed=5, sample=1000)
    assert full["reference_full"] is True and full["reference_sample"] == 200 and full["agree"] is True


@pytest.mark.slow
def test_bench_10k_services_prints_fast_and_reference_times(capsys):
    r = bench_blast_radius(10_000, 30_000, seed=0, sample=200)
    with capsys.disabled():
        print(
            f"\nblast radius, 10,000 services / {r['n_edges']} edges: fast path {r['fast_s']:.3f} s; "
            f"nx.ancestors on {r['reference_sample']} sampled nodes {r['reference_sampled_s']:.2f} s "
            f"-> {r['reference_extrapolated_s']:.1f} s extrapolated to all nodes"
        )
    assert r["agree"] is True
    assert r["fast_s"] < 5.0
    assert r["reference_extrapolated_s"] > r["fast_s"]

"""The naive blast-radius baseline: per-node ``nx.ancestors`` timed against the one-pass bitsets.

:func:`bench_blast_radius` times :func:`~meta254lib.graph.reach.blast_radius_all` against the quadratic
reference on a generated graph; it is benchmark code, never used by the product.
"""

from __future__ import annotations

import random
import time
from typing import Any

import networkx as nx

from ...graph.reach import blast_radius_all, random_dependency_graph

__all__ = ["bench_blast_radius"]


def bench_blast_radius(
    n_services: int = 10_000,
    n_edges: int = 30_000,
    seed: int = 0,
    *,
    sample: int = 200,
    window: int = 30,
    back_edges: int = 10,
) -> dict[str, Any]:
    """Time the one-pass blast radius against per-node ``nx.ancestors`` on the same generated graph.

    The reference loop is quadratic, so by default it runs on ``sample`` nodes drawn at random and its
    time is extrapolated linearly to all nodes (``reference_extrapolated_s = sampled time ×
    n_services / sample``); with ``sample >= n_services`` it runs on every node and nothing is
    extrapolated. The sampled nodes are also checked for equal results.

    Returns
    -------
    dict
        ``n_services, n_edges, n_components, largest_component, fast_s, reference_sample,
        reference_sampled_s, reference_extrapolated_s, reference_full, speedup, agree``.

    Examples
    --------
    >>> r = bench_blast_radius(300, 900, seed=2, sample=300)
    >>> r["agree"], r["reference_full"], r["n_services"]
    (True, True, 300)
    """
    G = random_dependency_graph(n_services, n_edges, seed, window=window, back_edges=back_edges)
    t0 = time.perf_counter()
    fast = blast_radius_all(G)
    fast_s = time.perf_counter() - t0

    nodes = list(G.nodes)
    full = sample >= len(nodes)
    chosen = nodes if full else random.Random(seed + 1).sample(nodes, sample)
    t0 = time.perf_counter()
    ref = {n: len(nx.ancestors(G, n)) for n in chosen}
    ref_s = time.perf_counter() - t0
    extrapolated = ref_s if full else ref_s * len(nodes) / max(len(chosen), 1)
    sccs = [len(c) for c in nx.strongly_connected_components(G)]
    return {
        "n_services": G.number_of_nodes(),
        "n_edges": G.number_of_edges(),
        "n_components": len(sccs),
        "largest_component": max(sccs, default=0),
        "fast_s": round(fast_s, 4),
        "reference_sample": len(chosen),
        "reference_sampled_s": round(ref_s, 4),
        "reference_extrapolated_s": round(extrapolated, 3),
        "reference_full": full,
        "speedup": round(extrapolated / fast_s, 1) if fast_s > 0 else None,
        "agree": all(int(fast[n]) == ref[n] for n in chosen),
    }

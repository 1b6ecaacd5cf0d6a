"""Naive baselines that `meta254 bench` times the product code against (never used by the product)."""

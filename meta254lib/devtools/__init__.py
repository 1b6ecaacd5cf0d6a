"""Tools for developing meta254, beside the CLI: the sample generator, ``meta254 bench`` and its naive baselines.

Nothing in the product imports this package.
"""

"""Naive baselines that `meta254 bench` times the product code against (never used by the product).

:mod:`.drift` a per-row drift loop, :mod:`.trends` per-service polyfit, :mod:`.reach` per-node ancestors,
:mod:`.report` the papermill and nbconvert command lines.
"""

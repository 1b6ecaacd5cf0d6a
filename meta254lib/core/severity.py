"""The one severity order: ``high`` before ``medium`` before ``low``, as the drift remediation runbook ranks them."""

from __future__ import annotations

__all__ = ["SEVERITIES", "SEVERITY_RANK", "severity_rank"]

#: Drift severities, most severe first.
SEVERITIES: tuple[str, ...] = ("high", "medium", "low")
#: Rank of each severity (0 is the most severe).
SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}


def severity_rank(severity: object) -> int:
    """The sort rank of a severity; unknown values sort after ``low``.

    Examples
    --------
    >>> sorted(["low", "high", "bogus", "medium"], key=severity_rank)
    ['high', 'medium', 'low', 'bogus']
    """
    return SEVERITY_RANK.get(str(severity), len(SEVERITIES))

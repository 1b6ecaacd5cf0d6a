"""Names a user types (services, specs, events, externals, teams, domains) checked against the workspace.

An unknown name raises :class:`UnknownNameError` (exit code 2) with "did you mean" from the closest
known names; teams and domains match case-insensitively and resolve to their spelling in the workspace.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from .errors import ParameterError

__all__ = ["UnknownNameError", "check_name", "closest", "natural_key"]


class UnknownNameError(ParameterError):
    """A name given by the user is not in the workspace.

    Examples
    --------
    >>> str(UnknownNameError("spec", "gateway-cor", ["gateway-core", "auth-core"]))
    "unknown spec 'gateway-cor' (did you mean gateway-core?)"
    """

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        self.kind, self.name = kind, name
        known = sorted({str(k) for k in known})
        close = closest(name, known)
        if close:
            hint = f" (did you mean {' or '.join(close)}?)"
        elif known:
            hint = f" (known: {', '.join(known[:8])}{', ...' if len(known) > 8 else ''})"
        else:
            hint = f" (the workspace has no {kind})"
        super().__init__(f"unknown {kind} {name!r}{hint}")


def natural_key(text: object) -> tuple:
    """A sort key that orders the numbers inside text by value: ``services[2]`` before ``services[12]``.

    Examples
    --------
    >>> sorted(["services[12].name", "services[2].name", "services[1]"], key=natural_key)
    ['services[1]', 'services[2].name', 'services[12].name']
    """
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", str(text)))


def closest(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """The known names closest to ``name``, best first (case-insensitive).

    Examples
    --------
    >>> closest("gatewy", ["auth", "gateway", "gateway-core"])
    ['gateway']
    >>> closest("auth", ["auth-service", "authz", "billing"])
    ['authz', 'auth-service']
    """
    known = list(known)
    lower = {k.lower(): k for k in known}
    key = str(name).lower()
    hits = difflib.get_close_matches(key, list(lower), n=n, cutoff=0.7)
    if len(key) >= 3:  # a prefix or part of a longer name: "auth" -> "auth-service"
        hits += sorted((k for k in lower if key in k and k not in hits), key=lambda k: (len(k), k))
    return [lower[h] for h in hits[:n]]


def check_name(kind: str, name: str, known: Iterable[str], *, case_insensitive: bool = False) -> str:
    """``name`` as the workspace spells it, or :class:`UnknownNameError`.

    Examples
    --------
    >>> check_name("team", "SRE", ["sre", "access"], case_insensitive=True)
    'sre'
    >>> check_name("event", "nope.event.v1", ["auth.token.issued.v1"])
    Traceback (most recent call last):
    ...
    meta254lib.core.names.UnknownNameError: unknown event 'nope.event.v1' (known: auth.token.issued.v1)
    """
    known = [str(k) for k in known]
    if name in known:
        return name
    if case_insensitive:
        by_lower = {k.lower(): k for k in known}
        if str(name).lower() in by_lower:
            return by_lower[str(name).lower()]
    raise UnknownNameError(kind, name, known)

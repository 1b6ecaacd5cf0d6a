"""Change sets: the four kinds of change an impact analysis starts from, and how they are written.

``service:NAME``, ``spec:NAME@VERSION``, ``event:ID`` and ``external:NAME@VERSION`` (canonical), or as on
the CLI (``--service NAME`` …); see :func:`parse_change`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..core.errors import ParameterError

__all__ = ["CHANGE_KINDS", "CONTRACT_HOPS", "ORIGIN_HOP", "Change", "parse_change", "parse_changes"]

CHANGE_KINDS: tuple[str, ...] = ("service", "spec", "event", "external")
#: The relation of the first hop from a service to a non-service change, as a why-path writes it.
ORIGIN_HOP: dict[str, str] = {"spec": "pins_spec", "event": "consumes_event", "external": "uses_external"}
#: Hops that cross an interface: an impacted service whose first hop is one of these needs contract tests.
CONTRACT_HOPS: frozenset[str] = frozenset({"consumes_event", "shares_contract", "pins_spec"})


@dataclass(frozen=True)
class Change:
    """One change of a change set.

    Attributes
    ----------
    kind : str
        ``service``, ``spec``, ``event`` or ``external``.
    name : str
        Service name, spec name, event id or external name.
    version : str
        The new version (``spec``/``external``; optional), ``""`` when none.

    Examples
    --------
    >>> c = Change("spec", "gateway-core", "2.0.0")
    >>> c.label, c.target
    ('spec:gateway-core@2.0.0', 'gateway-core@2.0.0')
    """

    kind: str
    name: str
    version: str = ""

    @property
    def target(self) -> str:
        """The changed thing as written in a why-path (``name`` or ``name@version``)."""
        return f"{self.name}@{self.version}" if self.version else self.name

    @property
    def label(self) -> str:
        """``kind:target``: how the change is named in outputs (``caused_by``)."""
        return f"{self.kind}:{self.target}"


def parse_change(text: str | Change) -> Change:
    """Parse one change written ``kind:value`` (canonical) or as on the CLI (``--kind value``).

    Parameters
    ----------
    text : str or Change
        ``service:auth``, ``spec:gateway-core@2.0.0``, ``event:pricing.curve.updates.v1``,
        ``external:redis@8``; equally ``--service auth`` or ``--spec=gateway-core@2.0.0``.

    Returns
    -------
    Change

    Raises
    ------
    ParameterError
        For an unknown kind or an empty value.

    Examples
    --------
    >>> parse_change("--external redis@8")
    Change(kind='external', name='redis', version='8')
    >>> parse_change("event:pricing.curve.updates.v1").label
    'event:pricing.curve.updates.v1'
    >>> parse_change("team:x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    meta254lib.core.errors.ParameterError: change 'team:x': expected KIND:VALUE with KIND one of service, ...
    """
    if isinstance(text, Change):
        if text.kind not in CHANGE_KINDS:
            raise ParameterError(f"change kind {text.kind!r}: expected one of {', '.join(CHANGE_KINDS)}")
        return text
    raw = str(text).strip()
    m = re.fullmatch(r"--([a-z]+)(?:\s+|=)(.+)", raw) or re.fullmatch(r"([a-z]+):(.+)", raw)
    if not m or m.group(1) not in CHANGE_KINDS:
        raise ParameterError(f"change {raw!r}: expected KIND:VALUE with KIND one of {', '.join(CHANGE_KINDS)}")
    kind, value = m.group(1), m.group(2).strip()
    if kind == "event":
        name, version = value, ""
    else:
        name, at, version = value.partition("@")
        name, version = name.strip(), version.strip()
        if at and not version:
            raise ParameterError(f"change {raw!r}: expected NAME@VERSION, the version after the @ is empty")
    if not name:
        raise ParameterError(f"change {raw!r}: the {kind} name is empty")
    return Change(kind, name, version)


def parse_changes(items: str | Change | Iterable[str | Change]) -> tuple[Change, ...]:
    """Parse a change set, dropping exact duplicates and keeping the given order.

    Raises
    ------
    ParameterError
        When the set is empty or an item cannot be parsed.

    Examples
    --------
    >>> [c.label for c in parse_changes(["service:auth", "--service auth", "external:postgres@16"])]
    ['service:auth', 'external:postgres@16']
    """
    if isinstance(items, (str, Change)):
        items = [items]
    out: list[Change] = []
    for it in items:
        c = parse_change(it)
        if c not in out:
            out.append(c)
    if not out:
        raise ParameterError("no change given: name at least one --service, --spec, --event or --external")
    return tuple(out)

"""The dependency rules of ``config/rules.yaml``: domain layers, allowed externals and forbidden edge patterns.

Every rule is validated on reading (an :class:`~meta254lib.core.errors.InputError` names the field);
external names are compared by their canonical, alias-resolved name (:func:`canonical_external`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core.errors import InputError
from ..core.settings import DEFAULT_EXTERNAL_ALIASES

__all__ = [
    "GENERIC_DOMAIN_WORDS",
    "ForbiddenPattern",
    "allowed_externals",
    "canonical_external",
    "domain_layers",
    "forbidden_patterns",
    "word_matches",
]

#: Pattern words that stand for a group of domains, and the domains they exclude.
GENERIC_DOMAIN_WORDS: dict[str, frozenset[str]] = {
    "domain-specific": frozenset({"shared", "infrastructure"}),
    "application": frozenset({"shared", "infrastructure"}),
}
_ANY_WORDS = frozenset({"*", "any"})
_RULES_FILE = "config/rules.yaml"


def canonical_external(name: str, aliases: Mapping[str, str] | None = None) -> str:
    """The canonical name of an external technology (``name@ver`` loses its version).

    Examples
    --------
    >>> canonical_external("Postgres@15"), canonical_external("redis")
    ('postgresql', 'redis')
    """
    aliases = DEFAULT_EXTERNAL_ALIASES if aliases is None else aliases
    base = str(name).split("@", 1)[0].strip().lower()
    return aliases.get(base, base)


def domain_layers(rules: Mapping[str, Any]) -> dict[str, int]:
    """``rules.dependency.domain_layers`` validated as ``{domain: int}`` (``{}`` when absent).

    Raises
    ------
    InputError
        When the mapping or a layer has the wrong type.

    Examples
    --------
    >>> domain_layers({"dependency": {"domain_layers": {"shared": 2, "access": 3}}})
    {'shared': 2, 'access': 3}
    >>> domain_layers({"dependency": {"domain_layers": {"shared": "two"}}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    meta254lib.core.errors.InputError: config/rules.yaml: dependency.domain_layers.shared: expected an integer ...
    """
    dep = (rules or {}).get("dependency") or {}
    if not isinstance(dep, Mapping):
        raise InputError(_RULES_FILE, "dependency", "a mapping", type(dep).__name__)
    layers = dep.get("domain_layers") or {}
    if not isinstance(layers, Mapping):
        raise InputError(_RULES_FILE, "dependency.domain_layers", "a mapping of domain to layer", repr(layers)[:60])
    out = {}
    for k, v in layers.items():
        if isinstance(v, bool) or not isinstance(v, int):
            raise InputError(_RULES_FILE, f"dependency.domain_layers.{k}", "an integer layer", repr(v)[:60])
        out[str(k)] = v
    return out


def allowed_externals(rules: Mapping[str, Any], aliases: Mapping[str, str] | None) -> set[str] | None:
    """``rules.dependency.allowed_external``, alias-resolved; None when the rules do not say.

    Examples
    --------
    >>> sorted(allowed_externals({"dependency": {"allowed_external": ["Postgres", "redis"]}}, None))
    ['postgresql', 'redis']
    """
    dep = (rules or {}).get("dependency") or {}
    if "allowed_external" not in dep:
        return None
    allowed = dep.get("allowed_external") or []
    if not isinstance(allowed, list):
        raise InputError(_RULES_FILE, "dependency.allowed_external", "a list of names", repr(allowed)[:60])
    return {canonical_external(a, aliases) for a in allowed}


@dataclass(frozen=True)
class ForbiddenPattern:
    """One ``forbidden_reverse_edges`` entry: ``FROM -> TO`` words, severity and description."""

    text: str
    source: str
    target: str
    severity: str
    description: str


def forbidden_patterns(rules: Mapping[str, Any]) -> list[ForbiddenPattern]:
    """The ``forbidden_reverse_edges`` patterns of the rules, validated.

    Raises
    ------
    InputError
        When an entry is not a mapping with a ``pattern`` of the form ``FROM -> TO``.

    Examples
    --------
    >>> [(p.source, p.target, p.severity) for p in forbidden_patterns(
    ...     {"forbidden_reverse_edges": [{"pattern": "shared -> domain-specific"}]})]
    [('shared', 'domain-specific', 'error')]
    """
    entries = (rules or {}).get("forbidden_reverse_edges") or []
    if not isinstance(entries, list):
        raise InputError(
            _RULES_FILE, "forbidden_reverse_edges", "a list of {pattern, severity}", type(entries).__name__
        )
    out = []
    for i, e in enumerate(entries):
        where = f"forbidden_reverse_edges[{i}]"
        if not isinstance(e, Mapping) or not isinstance(e.get("pattern"), str):
            raise InputError(_RULES_FILE, f"{where}.pattern", "a string 'FROM -> TO'", repr(e)[:60])
        m = re.fullmatch(r"\s*(\S+)\s*->\s*(\S+)\s*", e["pattern"])
        if not m:
            raise InputError(_RULES_FILE, f"{where}.pattern", "the form 'FROM -> TO'", repr(e["pattern"])[:60])
        out.append(
            ForbiddenPattern(
                text=e["pattern"].strip(),
                source=m.group(1),
                target=m.group(2),
                severity=str(e.get("severity") or "error"),
                description=str(e.get("description") or ""),
            )
        )
    return out


def word_matches(word: str, domain: str | None) -> bool:
    """Whether a pattern word stands for ``domain`` (never for a missing domain).

    Examples
    --------
    >>> word_matches("domain-specific", "access"), word_matches("application", "shared"), word_matches("*", None)
    (True, False, False)
    """
    if domain is None:
        return False
    if word in _ANY_WORDS:
        return True
    if word in GENERIC_DOMAIN_WORDS:
        return domain not in GENERIC_DOMAIN_WORDS[word]
    return word == domain

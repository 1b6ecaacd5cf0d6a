"""The dependency rules of ``config/rules.yaml``: domain layers, allowed externals and forbidden edge patterns,
and the one deploy-order rule (:data:`DEPLOY_RELATIONS`).

Every rule is validated on reading (an :class:`~meta254lib.core.errors.InputError` names the field);
external names are compared by their canonical, alias-resolved name (:func:`canonical_external`). A built-in
alias (:data:`~meta254lib.core.settings.DEFAULT_EXTERNAL_ALIASES`) that rules.yaml does not configure is
kept, and reported wherever it changed a name (:func:`builtin_alias_uses`, :func:`builtin_alias_notes`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..core.columns import KIND, SERVICE
from ..core.errors import InputError
from ..core.settings import DEFAULT_EXTERNAL_ALIASES
from .build import RELATIONS

__all__ = [
    "DEPLOY_RELATIONS",
    "GENERIC_DOMAIN_WORDS",
    "ForbiddenPattern",
    "allowed_externals",
    "builtin_alias_notes",
    "builtin_alias_uses",
    "builtin_aliases",
    "canonical_external",
    "domain_layers",
    "forbidden_patterns",
    "wave_rule",
    "word_matches",
]

#: The relations that order deploys: rollout waves, deploy cycles and the graph's cycles read these only.
#: Event consumption is asynchronous and a shared contract has no direction, so neither orders a deploy.
DEPLOY_RELATIONS: tuple[str, ...] = ("depends_on",)

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


def wave_rule() -> str:
    """The one sentence every page that shows waves or deploy cycles states.

    Examples
    --------
    >>> wave_rule()  # doctest: +ELLIPSIS
    'waves: depends_on edges only; consumes_event and shares_contract edges do not order deploys ...'
    """
    others = [r for r in RELATIONS if r not in DEPLOY_RELATIONS]
    return (
        f"waves: {', '.join(DEPLOY_RELATIONS)} edges only; {' and '.join(others)} edges do not order deploys "
        "(event consumption is asynchronous, a shared contract has no direction); a provider deploys before "
        "its dependents, and the services on one dependency cycle share a wave"
    )


def builtin_aliases(rules: Mapping[str, Any] | None) -> dict[str, str]:
    """The built-in external aliases that ``rules.dependency.aliases`` does not configure (they still apply).

    Examples
    --------
    >>> builtin_aliases({})["postgres"]
    'postgresql'
    >>> "postgres" in builtin_aliases({"dependency": {"aliases": {"Postgres": "postgresql"}}})
    False
    """
    dep = (rules or {}).get("dependency")
    configured = (dep or {}).get("aliases") if isinstance(dep, Mapping) else None
    keys = {str(k).lower() for k in configured} if isinstance(configured, Mapping) else set()
    return {k: v for k, v in DEFAULT_EXTERNAL_ALIASES.items() if k not in keys}


def builtin_alias_uses(dependencies: pd.DataFrame | None, rules: Mapping[str, Any] | None) -> pd.DataFrame:
    """Where a built-in alias not in rules.yaml renamed an external dependency.

    Parameters
    ----------
    dependencies : DataFrame or None
        The :data:`~meta254lib.core.schema.DEPENDENCIES` table (``name`` is the name as written).
    rules : mapping or None
        The parsed ``config/rules.yaml``.

    Returns
    -------
    DataFrame
        ``alias, canonical, uses, services, hidden``, one row per built-in alias applied at least once,
        by alias: ``uses`` counts the dependency rows, ``hidden`` those that would be unauthorized
        externals without the alias (its canonical name is in ``allowed_external``, the alias is not;
        0 when the rules have no list).

    Examples
    --------
    >>> deps = pd.DataFrame({"service": ["a", "b", "b"], "name": ["postgres", "Postgres", "redis"],
    ...                      "kind": ["external"] * 3})
    >>> rules = {"dependency": {"allowed_external": ["postgresql", "redis"]}}
    >>> builtin_alias_uses(deps, rules).values.tolist()
    [['postgres', 'postgresql', 2, ('a', 'b'), 2]]
    """
    columns = ["alias", "canonical", "uses", "services", "hidden"]
    builtin = builtin_aliases(rules)
    if dependencies is None or not len(dependencies) or not builtin:
        return pd.DataFrame([], columns=columns)
    dep = (rules or {}).get("dependency")
    listed = (dep or {}).get("allowed_external") if isinstance(dep, Mapping) else None
    raw_allowed = {str(a).split("@", 1)[0].strip().lower() for a in listed} if isinstance(listed, list) else None
    ext = dependencies[dependencies[KIND] == "external"]
    names = ext["name"].astype("str").str.split("@").str[0].str.strip().str.lower()
    rows = []
    for alias in sorted(set(names) & set(builtin)):
        hit = ext[(names == alias).to_numpy()]
        canon = builtin[alias]
        hides = raw_allowed is not None and canon in raw_allowed and alias not in raw_allowed
        services = tuple(sorted(set(hit[SERVICE].astype("str"))))
        rows.append(
            {
                "alias": alias,
                "canonical": canon,
                "uses": len(hit),
                "services": services,
                "hidden": len(hit) if hides else 0,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def builtin_alias_notes(uses: pd.DataFrame) -> list[str]:
    """One sentence per row of :func:`builtin_alias_uses`.

    Examples
    --------
    >>> uses = pd.DataFrame([{"alias": "postgres", "canonical": "postgresql", "uses": 9, "services": (),
    ...                       "hidden": 9}])
    >>> builtin_alias_notes(uses)  # doctest: +NORMALIZE_WHITESPACE
    ['built-in alias postgres → postgresql (not in rules.yaml) applied to 9 uses; without it they would be 9
      more unauthorized externals (rules.yaml allows postgresql, not postgres); configure it under
      dependency.aliases to make it explicit']
    """
    notes = []
    for r in uses.itertuples(index=False):
        text = f"built-in alias {r.alias} → {r.canonical} (not in rules.yaml) applied to {r.uses} use"
        text += "s" if r.uses != 1 else ""
        if r.hidden:
            text += (
                f"; without it they would be {r.hidden} more unauthorized externals (rules.yaml allows "
                f"{r.canonical}, not {r.alias})"
            )
        notes.append(text + "; configure it under dependency.aliases to make it explicit")
    return notes

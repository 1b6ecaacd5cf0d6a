"""The plain-text encoding of list-valued graph attributes, so that every graph attribute GraphML can write.

The workspace graph (:func:`~meta254lib.graph.build.build_graph`) stores each list of names (a node's
``externals``, ``contracts``, ``events_in`` ..., an edge's ``relations``, ``events``, ``specs``) as one
string: the items joined with ``|``, as the CSV outputs write lists (:func:`meta254lib.core.records.csv_text`).
An item that itself holds ``|`` or ``\\`` has them escaped with ``\\``, so decoding gives back exactly
the items (names from the upstream files may hold a pipe). An empty list is the empty string.

Readers call :func:`attr_list`, which also accepts the tuples of graphs built by hand.

Examples
--------
>>> encode_list(("depends_on", "shares_contract"))
'depends_on|shares_contract'
>>> attr_list("depends_on|shares_contract"), attr_list(""), attr_list(("a",)), attr_list(None)
(('depends_on', 'shares_contract'), (), ('a',), ())
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import networkx as nx

__all__ = ["LIST_SEPARATOR", "attr_list", "encode_list", "omitted_relations"]

#: The separator of list items in a graph attribute (the one the CSV outputs use).
LIST_SEPARATOR = "|"


def _escape(item: object) -> str:
    text = str(item)
    if "|" in text or "\\" in text:
        return text.replace("\\", "\\\\").replace("|", "\\|")
    return text


def encode_list(values: Iterable[Any]) -> str:
    """Items as one GraphML-writable string: joined with ``|``, a ``|`` or ``\\`` inside an item escaped.

    Examples
    --------
    >>> encode_list(["redis", "postgresql"]), encode_list([]), encode_list(["<b>core</b>|api@2.0.0"])
    ('redis|postgresql', '', '<b>core</b>\\\\|api@2.0.0')
    """
    return LIST_SEPARATOR.join(_escape(v) for v in values)


@lru_cache(maxsize=65536)
def _decode(text: str) -> tuple[str, ...]:
    if not text:
        return ()
    if "\\" not in text:
        return tuple(text.split(LIST_SEPARATOR))
    items: list[str] = []
    current: list[str] = []
    chars = iter(text)
    for ch in chars:
        if ch == "\\":
            current.append(next(chars, ""))
        elif ch == LIST_SEPARATOR:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    return tuple(items)


def attr_list(value: Any) -> tuple[str, ...]:
    """The items of a list-valued graph attribute (see :func:`encode_list`); ``()`` when absent.

    Accepts the encoded string of the workspace graph and, for graphs built by hand, a tuple, list or
    set (returned as a tuple, sets sorted).

    Examples
    --------
    >>> attr_list("consumes_event|depends_on"), attr_list("<b>core</b>\\\\|api@2.0.0|x")
    (('consumes_event', 'depends_on'), ('<b>core</b>|api@2.0.0', 'x'))
    >>> attr_list(frozenset({"b", "a"}))
    ('a', 'b')
    """
    if value is None:
        return ()
    if type(value) is str:
        return _decode(value)
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(value, key=str))
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return _decode(str(value))


def omitted_relations(G: nx.DiGraph) -> dict[str, str]:
    """Relation → why the graph left it out (:func:`~meta254lib.graph.build.build_graph`); ``{}`` when none.

    The graph stores the names in ``G.graph["omitted"]`` (encoded as :func:`encode_list`) and each
    reason in ``G.graph["omitted_<relation>"]``, all text, so GraphML can write them. A mapping in
    ``G.graph["omitted_relations"]`` (the form of earlier versions, or a graph built by hand) is read too.

    Examples
    --------
    >>> G = nx.DiGraph(omitted="shares_contract", omitted_shares_contract="too many pairs")
    >>> omitted_relations(G), omitted_relations(nx.DiGraph(omitted_relations={"shares_contract": "why"}))
    ({'shares_contract': 'too many pairs'}, {'shares_contract': 'why'})
    >>> omitted_relations(nx.DiGraph())
    {}
    """
    legacy = G.graph.get("omitted_relations")
    found = {str(k): str(v) for k, v in legacy.items()} if isinstance(legacy, Mapping) else {}
    found.update({r: str(G.graph.get(f"omitted_{r}", "")) for r in attr_list(G.graph.get("omitted"))})
    return found

"""The tagged-JSON codec of the warm-load cache: Python values, row lists and service graphs.

Lists, str-keyed dicts, text, integers, booleans and ``None`` are themselves; every other value is
a tagged object ``{"$": tag, ...}`` (tuples, sets, floats, timestamps, numpy scalars, graphs, ...).
DataFrames are set aside for :mod:`meta254lib.workspace.frame_codec`, which stores them column by column.
Nothing decoded here can execute code; anything malformed raises :class:`CacheCorrupt`.

Examples
--------
>>> import pandas as pd
>>> frames = []
>>> tagged = encode_value({"pins": ("a@1.0", "b@2.0"), "when": pd.Timestamp("2025-10-06", tz="UTC")}, frames)
>>> decode_value(tagged, frames)["pins"]
('a@1.0', 'b@2.0')
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from ..core.clock import to_utc_index, to_zone
from .yamlio import YamlFloat

__all__ = [
    "PLAIN_TYPES",
    "CacheCorrupt",
    "Deferred",
    "DeferredText",
    "Uncacheable",
    "decode_value",
    "encode_value",
    "file_digest",
]


class Deferred:
    """A value stored as its own JSON buffer and decoded only when :meth:`get` is called.

    For bulky parts of a unit that a warm open seldom needs (for example the per-file records of
    ten thousand manifests): reading the unit then costs a buffer check, not a decode.
    """

    __slots__ = ("_data", "_value")

    def __init__(self, value: Any = None, *, data: bytes | None = None) -> None:
        self._value = value
        self._data = data

    def get(self) -> Any:
        """The value (decoded on first use)."""
        if self._data is not None:
            try:
                tagged = json.loads(self._data)
            except (ValueError, UnicodeDecodeError) as err:
                raise CacheCorrupt(f"unreadable deferred value: {err}") from None
            self._value, self._data = decode_value(tagged, []), None
        return self._value


class DeferredText:
    """The encoded bytes of a :class:`Deferred` on their way into a unit file."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data


class Uncacheable(Exception):
    """A value that this format cannot represent exactly; the unit is simply not cached."""


class CacheCorrupt(Exception):
    """A unit file that fails a check; it is ignored and rewritten."""


def file_digest(data: bytes | memoryview) -> str:
    """The digest used for inputs and buffers (SHA-256, hex).

    Examples
    --------
    >>> file_digest(b"")[:12]
    'e3b0c44298fc'
    """
    return hashlib.sha256(data).hexdigest()


# --- tagged JSON for Python values ---------------------------------------------------------------


def encode_value(obj: Any, frames: list[pd.DataFrame]) -> Any:
    """A JSON-able form of ``obj`` that :func:`decode_value` turns back into an equal object.

    Lists, str-keyed dicts, str, int, bool and None are themselves; everything else is a tagged
    object ``{"$": tag, ...}``: tuples, sets, frozensets, dicts with other keys, floats (so NaN and
    the source text of a YAML float survive), timestamps, dates, ``pd.NA``/``NaT``, numpy scalars,
    and DataFrames (appended to ``frames``; the tag holds the index).

    Raises
    ------
    Uncacheable
        Any other type.
    """
    t = type(obj)
    if obj is None or t is str or t is bool or t is int:
        return obj
    if t is list:
        if len(obj) >= _RECORDS_MIN:
            packed = _encode_records(obj, frames)
            if packed is not None:
                return packed
        return [encode_value(v, frames) for v in obj]
    if t is dict:
        if all(type(k) is str for k in obj) and "$" not in obj:
            return {k: encode_value(v, frames) for k, v in obj.items()}
        return {"$": "dict", "v": [[encode_value(k, frames), encode_value(v, frames)] for k, v in obj.items()]}
    if t is tuple:
        return {"$": "tuple", "v": [encode_value(v, frames) for v in obj]}
    if t is YamlFloat:
        return {"$": "yf", "v": repr(float(obj)), "s": obj.source}
    if t is float:
        return {"$": "f", "v": repr(obj)}
    if t is frozenset or t is set:
        items = [encode_value(v, frames) for v in obj]
        return {"$": "fset" if t is frozenset else "set", "v": items}
    if t is pd.Timestamp:
        return {"$": "ts", "v": _ts_int(obj), "u": obj.unit, "tz": str(obj.tz) if obj.tz is not None else None}
    if obj is pd.NaT:
        return {"$": "nat"}
    if obj is pd.NA:
        return {"$": "na"}
    if t is dt.datetime:
        return {"$": "dt", "v": obj.isoformat()}
    if t is dt.date:
        return {"$": "date", "v": obj.isoformat()}
    if t is bytes:
        return {"$": "bytes", "v": obj.hex()}
    if isinstance(obj, np.generic) and obj.dtype.kind in "biuf":
        return {"$": "np", "d": obj.dtype.str, "v": encode_value(obj.item(), frames)}
    if t is pd.DataFrame:
        frames.append(obj)
        return {"$": "df", "v": len(frames) - 1}
    if t is nx.DiGraph:
        return _encode_graph(obj, frames)
    if t is Deferred:
        inner: list[pd.DataFrame] = []
        tagged = encode_value(obj.get(), inner)
        if inner:
            raise Uncacheable("frames inside a deferred value")
        try:
            data = json.dumps(tagged, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        except UnicodeEncodeError:  # a lone surrogate (a file name that is not UTF-8): escaped, read back the same
            data = json.dumps(tagged, ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode()
        frames.append(DeferredText(data))  # type: ignore[arg-type]
        return {"$": "deferred", "v": len(frames) - 1}
    raise Uncacheable(f"cannot cache a {t.__name__}")


def _ts_int(ts: pd.Timestamp) -> int:
    """A timestamp as an integer count of its own unit since the epoch (UTC for aware ones)."""
    return int(ts.asm8.view("i8"))


def _ts_list(values: list[Any], unit: str, tz: str | None) -> list[Any]:
    """Timestamps (``None`` kept) from :func:`_ts_int` integers, converted in one vectorised step."""
    if unit not in ("s", "ms", "us", "ns"):
        raise CacheCorrupt(f"bad timestamp unit {unit!r}")
    if not set(map(type, values)) <= {int, type(None)}:
        raise CacheCorrupt("timestamps are not integers")
    nat = np.iinfo("int64").min
    raw = np.array([nat if v is None else v for v in values], dtype="int64")
    idx = pd.DatetimeIndex(raw.view(f"M8[{unit}]"))
    if tz is not None:
        idx = to_zone(to_utc_index(idx), tz)
    out = idx.tolist()
    return [None if v is None else x for v, x in zip(values, out, strict=True)]


#: Types that encode and decode as themselves.
PLAIN_TYPES = frozenset({str, bool, int, type(None)})

#: Lists of at least this many dicts with the same keys are stored column by column.
_RECORDS_MIN = 16
_JSON_NATIVE = (str, bool, int, type(None))


def _encode_records(rows: list, frames: list[pd.DataFrame]) -> dict[str, Any] | None:
    """Column-wise form of a list of same-keyed dicts (a table of rows), or None when it is not one.

    A column of text, booleans, integers and None is stored as a plain JSON list; a column of
    timestamps (and None) sharing one unit and time zone as integers; anything else value by value.
    """
    first = rows[0]
    if type(first) is not dict or "$" in first:
        return None
    keys = tuple(first)
    if not all(type(k) is str for k in keys):
        return None
    for r in rows:
        if type(r) is not dict or len(r) != len(keys) or tuple(r) != keys:
            return None
    cols = []
    for k in keys:
        values = [r[k] for r in rows]
        types = {type(v) for v in values}
        if all(t in _JSON_NATIVE for t in types):
            cols.append({"j": values})
            continue
        stamps = [v for v in values if v is not None]
        if types <= {pd.Timestamp, type(None)} and stamps:
            units = {v.unit for v in stamps}
            zones = {str(v.tz) if v.tz is not None else None for v in stamps}
            if len(units) == 1 and len(zones) == 1:
                cols.append(
                    {"ts": [None if v is None else _ts_int(v) for v in values], "u": units.pop(), "tz": zones.pop()}
                )
                continue
        cols.append({"t": [encode_value(v, frames) for v in values]})
    return {"$": "records", "k": list(keys), "n": len(rows), "c": cols}


def _decode_records(obj: dict, frames: list[pd.DataFrame]) -> list[dict[str, Any]]:
    keys, n, cols = obj["k"], obj["n"], obj["c"]
    if not isinstance(keys, list) or len(keys) != len(cols) or not all(type(k) is str for k in keys):
        raise CacheCorrupt("bad records")
    columns = []
    for col in cols:
        if "j" in col:
            values = col["j"]
            if not isinstance(values, list) or not set(map(type, values)) <= PLAIN_TYPES:
                raise CacheCorrupt("records column is not plain")
        elif "ts" in col:
            values = _ts_list(col["ts"], str(col["u"]), col["tz"])
        else:
            values = [decode_value(v, frames) for v in col["t"]]
        if len(values) != n:
            raise CacheCorrupt("records column length")
        columns.append(values)
    if not columns:
        return [{} for _ in range(n)]
    return [dict(zip(keys, vals, strict=True)) for vals in zip(*columns, strict=True)]


def _encode_graph(G: nx.DiGraph, frames: list[pd.DataFrame]) -> dict[str, Any]:
    """A directed graph as a node frame and an edge frame (text names, the same attributes everywhere).

    Edges are stored sorted by (u, v), which rebuilds the same adjacency order only when the graph
    was built that way (as :func:`meta254lib.graph.build.build_graph` does); other graphs are not cached.
    """
    nodes = list(G.nodes(data=True))
    node_keys = tuple(nodes[0][1]) if nodes else ()
    edges = sorted(G.edges(data=True), key=_edge_key)
    edge_keys = tuple(edges[0][2]) if edges else ()
    if not all(type(n) is str and tuple(d) == node_keys for n, d in nodes):
        raise Uncacheable("graph nodes with other names or differing attributes")
    if not all(tuple(d) == edge_keys for _, _, d in edges):
        raise Uncacheable("graph edges with differing attributes")
    if any(list(G.succ[n]) != sorted(G.succ[n]) or list(G.pred[n]) != sorted(G.pred[n]) for n, _ in nodes):
        raise Uncacheable("graph edges not added in sorted order")
    node_frame = pd.DataFrame(
        {
            "node": pd.Series([n for n, _ in nodes], dtype=object),
            **{k: _objects([d[k] for _, d in nodes]) for k in node_keys},
        }
    )
    edge_frame = pd.DataFrame(
        {
            "u": pd.Series([u for u, _, _ in edges], dtype=object),
            "v": pd.Series([v for _, v, _ in edges], dtype=object),
            **{k: _objects([d[k] for _, _, d in edges]) for k in edge_keys},
        }
    )
    return {
        "$": "digraph",
        "graph": encode_value(dict(G.graph), frames),
        "nodes": encode_value(node_frame, frames),
        "node_keys": list(node_keys),
        "edges": encode_value(edge_frame, frames),
        "edge_keys": list(edge_keys),
    }


def _edge_key(edge: tuple[Any, Any, Any]) -> tuple[Any, Any]:
    return edge[0], edge[1]


def _objects(values: list[Any]) -> pd.Series:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return pd.Series(out, dtype=object)


def _decode_graph(obj: dict, frames: list[pd.DataFrame]) -> nx.DiGraph:
    nodes, edges = decode_value(obj["nodes"], frames), decode_value(obj["edges"], frames)
    node_keys, edge_keys = obj["node_keys"], obj["edge_keys"]
    if not isinstance(nodes, pd.DataFrame) or not isinstance(edges, pd.DataFrame):
        raise CacheCorrupt("graph without frames")
    if list(nodes.columns) != ["node", *node_keys] or list(edges.columns) != ["u", "v", *edge_keys]:
        raise CacheCorrupt("graph frames with other columns")
    G = nx.DiGraph()
    G.graph.update(decode_value(obj["graph"], frames))
    # the adjacency is filled directly: what add_nodes_from and add_edges_from do, without their
    # per-item copies and checks (the names are checked text, see encode_frame's "texts")
    cols = [nodes[k].tolist() for k in node_keys]
    names = nodes["node"].tolist()
    if None in names or len(set(names)) != len(names):
        raise CacheCorrupt("graph nodes missing or stored twice")
    node_attrs, succ, pred = G._node, G._succ, G._pred
    for n, *vals in zip(names, *cols, strict=True):
        node_attrs[n] = dict(zip(node_keys, vals, strict=True))
        succ[n] = {}
        pred[n] = {}
    cols = [edges[k].tolist() for k in edge_keys]
    try:
        for u, v, *vals in zip(edges["u"].tolist(), edges["v"].tolist(), *cols, strict=True):
            if v in succ[u]:
                raise CacheCorrupt("graph edge stored twice")
            d = dict(zip(edge_keys, vals, strict=True))
            succ[u][v] = d
            pred[v][u] = d
    except KeyError:  # an edge to an unknown node would otherwise add that node silently
        raise CacheCorrupt("graph edge to an unknown node") from None
    return G


def _decode_tagged(obj: dict, frames: list[pd.DataFrame]) -> Any:
    tag = obj["$"]
    v = obj.get("v")
    if tag == "records":
        return _decode_records(obj, frames)
    if tag == "tuple":
        return tuple(v) if _all_plain(v) else tuple(decode_value(x, frames) for x in v)
    if tag == "dict":
        return {decode_value(k, frames): decode_value(x, frames) for k, x in v}
    if tag == "yf":
        return YamlFloat(float(v), str(obj["s"]))
    if tag == "f":
        return float(v)
    if tag in ("set", "fset"):
        items = v if _all_plain(v) else [decode_value(x, frames) for x in v]
        return frozenset(items) if tag == "fset" else set(items)
    if tag == "ts":
        return _ts_list([v], str(obj["u"]), obj["tz"])[0]
    if tag == "nat":
        return pd.NaT
    if tag == "na":
        return pd.NA
    if tag == "dt":
        return dt.datetime.fromisoformat(v)
    if tag == "date":
        return dt.date.fromisoformat(v)
    if tag == "bytes":
        return bytes.fromhex(v)
    if tag == "np":
        return np.dtype(obj["d"]).type(decode_value(v, frames))
    if tag == "df":
        got = frames[int(v)]
        if not isinstance(got, pd.DataFrame):
            raise CacheCorrupt("not a frame")
        return got
    if tag == "digraph":
        return _decode_graph(obj, frames)
    if tag == "deferred":
        got = frames[int(v)]
        if not isinstance(got, Deferred):
            raise CacheCorrupt("not a deferred value")
        return got
    raise CacheCorrupt(f"unknown tag {tag!r}")


def _all_plain(items: Any) -> bool:
    """Whether ``items`` is a list of text, booleans, integers and None (which decode as themselves)."""
    return type(items) is list and set(map(type, items)) <= PLAIN_TYPES


def decode_value(obj: Any, frames: list[pd.DataFrame]) -> Any:
    """Inverse of :func:`encode_value` (``frames`` are the decoded DataFrames)."""
    t = type(obj)
    if t is list:
        return list(obj) if _all_plain(obj) else [decode_value(v, frames) for v in obj]
    if t is dict:
        if "$" in obj:
            return _decode_tagged(obj, frames)
        return {k: decode_value(v, frames) for k, v in obj.items()}
    return obj

"""The fast YAML constructor gives exactly what PyYAML's constructor gives (values, types, aliases, warnings)."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from meta254lib.core.errors import InputError
from meta254lib.workspace.yamlio import YamlFloat, _construct_fast, _Fallback, _load_document, _Loader, loads_yaml

UPSTREAM = Path(__file__).resolve().parents[3] / "shared" / "upstream"


def _standard(text: str):
    loader = _Loader(text)
    try:
        return loader.get_single_data(), loader.duplicates
    finally:
        loader.dispose()


def _fast(text: str):
    loader = _Loader(text)
    try:
        return _load_document(loader), loader.duplicates
    finally:
        loader.dispose()


def _same(a, b) -> bool:
    """Equal values of the same types all the way down (YamlFloat sources included, NaN == NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, YamlFloat):
        return a.source == b.source and (a == b or (math.isnan(a) and math.isnan(b)))
    return a == b


DOCS = {
    "scalars": """
        s: text
        q: "quoted: yes"
        n: ~
        n2: null
        b: [yes, No, on, OFF, true, False]
        i: [0, -12, 0x1F, 0o17, 017, 1_000, "12", 190:20:30]
        f: [1.10, 1.0, -0.5, .inf, -.Inf, .nan, 6.8523015e+5, 685_230.15, 190:20:30.15]
        t: [2025-10-06, 2025-10-06T06:00:00Z, 2025-10-06 06:00:00.5 +02:00, 2025-10-06T06:00:00]
        e: ""
        u: "é ∑ 🙂"
        tagged: [!!str 123, !!float 3, !!int "7", !!bool "yes"]
        1: int key
        2.5: float key
        ~: null key
    """,
    "aliases": """
        base: &b {x: 1, y: [1, 2]}
        again: *b
        list: &l [a, b]
        lists: [*l, *l]
        s: &s shared
        t: *s
    """,
    "duplicates at several depths": """
        a: 1
        a: 2
        nested:
          k: 1
          deeper: {z: 1, z: 2}
          k: 3
        other:
          - {m: 1, m: 2}
        nested: last
    """,
    "merge keys (PyYAML handles them)": """
        base: &b {x: 1, y: 2}
        child:
          <<: *b
          y: 3
    """,
    "set, omap, binary": """
        s: !!set {a, b}
        o: !!omap [a: 1, b: 2]
        bin: !!binary aGVsbG8=
    """,
    "recursive": """
        a: &a
          self: *a
          list: &l [*l]
    """,
    "top-level list": "- 1\n- two\n- [3]\n",
    "top-level scalar": "just text\n",
    "flow": "{a: [1, {b: c}], d: e}\n",
}


@pytest.mark.parametrize("name", list(DOCS))
def test_fast_constructor_equals_pyyaml(name):
    text = textwrap.dedent(DOCS[name])
    ref, ref_dups = _standard(text)
    got, dups = _fast(text)
    assert dups == ref_dups
    if name == "recursive":
        assert got["a"]["self"] is got["a"] and got["a"]["list"][0] is got["a"]["list"]
        assert ref["a"]["self"] is ref["a"]
        return
    assert _same(got, ref), (got, ref)
    if name == "aliases":
        assert got["again"] is got["base"] and got["lists"][0] is got["lists"][1]


def test_plain_documents_take_the_fast_path_and_others_fall_back():
    loader = _Loader(textwrap.dedent(DOCS["duplicates at several depths"]))
    root = loader.get_single_node()
    doc, dups = _construct_fast(loader, root)
    assert [d[0] for d in dups] == ["a", "nested", "k", "z", "m"][: len(dups)]
    assert doc["nested"] == "last"
    for name in ("merge keys (PyYAML handles them)", "set, omap, binary"):
        loader = _Loader(textwrap.dedent(DOCS[name]))
        with pytest.raises(_Fallback):
            _construct_fast(loader, loader.get_single_node())


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("!!python/object:os.system {}", "tag"),
        ("a: !!python/name:os.system\n", "tag"),
        ("? [a, b]\n: 1\n", "a list or mapping used as a key"),
        ("a: 1\n---\nb: 2\n", "single document"),
    ],
)
def test_refusals_are_unchanged(text, found):
    with pytest.raises(InputError) as info:
        loads_yaml(text.encode(), "x.yaml", [])
    assert found in str(info.value)


def test_an_empty_document_is_none():
    assert _fast("") == (None, []) == _standard("")
    assert _fast("# only a comment\n") == (None, [])


def test_deep_nesting_matches():
    text = "[" * 200 + "]" * 200
    got, _ = _fast(text)
    ref, _ = _standard(text)
    assert _same(got, ref)


_scalar = st.one_of(
    st.text(max_size=8),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)
_data = st.recursive(
    _scalar,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(_data, st.booleans())
def test_any_dumped_document_loads_the_same(data, flow):
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    ref, ref_dups = _standard(text)
    got, dups = _fast(text)
    assert _same(got, ref) and dups == ref_dups


@pytest.mark.upstream
def test_upstream_yaml_files_load_the_same():
    files = sorted(UPSTREAM.rglob("*.yaml")) if UPSTREAM.is_dir() else []
    if not files:
        pytest.skip(f"real upstream artifacts not found at {UPSTREAM}")
    for path in files:
        text = path.read_text(encoding="utf-8")
        ref, ref_dups = _standard(text)
        got, dups = _fast(text)
        assert _same(got, ref) and dups == ref_dups, path

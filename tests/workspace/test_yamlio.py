"""Safe YAML/JSON reading: refusals and reports, with file and place in every message."""

from __future__ import annotations

import pytest

from meta254lib.core.errors import InputError
from meta254lib.workspace.yamlio import YamlFloat, _orjson_safe, loads_json, loads_yaml

BOMB = b"""a: &a ["x","x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
"""


@pytest.mark.parametrize(
    "data,field,expected,found",
    [
        (b"a: [1, 2\n", "line 2, column 1", "valid YAML", "did not find expected ',' or ']'"),
        (b"a:\n\tb: 1\n", "line 2, column 1", "valid YAML", "a tab character (YAML indentation must use spaces)"),
        (
            b"!!python/object/apply:os.system ['id']\n",
            "line 1, column 1",
            "plain YAML data",
            "tag:yaml.org,2002:python/object/apply:os.system",
        ),
        (b"a: \xff\xfe\n", "", "UTF-8 text", "byte 0xff at offset 3"),
        (BOMB, "", "at most 2,000,000 values once aliases are expanded", "an alias bomb (anchors referencing anchors)"),
    ],
)
def test_refused(data, field, expected, found):
    with pytest.raises(InputError) as err:
        loads_yaml(data, "config/x.yaml", [])
    assert err.value.file == "config/x.yaml"
    assert err.value.field == field
    assert err.value.expected.startswith(expected)
    assert found in err.value.found


def test_small_anchors_are_fine():
    doc = loads_yaml(b"base: &b {x: 1}\nother: *b\n", "f.yaml", [])
    assert doc == {"base": {"x": 1}, "other": {"x": 1}}


def test_float_source_kept():
    doc = loads_yaml(b"v: 1.10\nc: 0.85\n", "f.yaml", [])
    assert isinstance(doc["v"], YamlFloat) and doc["v"].source == "1.10" and doc["v"] == 1.1
    assert doc["c"] == 0.85


def test_duplicate_keys_warned():
    warnings: list = []
    assert loads_yaml(b"a: 1\nb: 2\na: 3\n", "f.yaml", warnings) == {"a": 3, "b": 2}
    assert warnings == [("f.yaml", "a", "duplicate key 'a' (line 3); the last value is used")]


def test_empty_and_list_documents():
    assert loads_yaml(b"", "f.yaml", []) is None
    assert loads_yaml(b"- a\n", "f.yaml", []) == ["a"]


def test_json_errors():
    with pytest.raises(InputError, match=r"lock.json: line 1, column 2: expected valid JSON"):
        loads_json(b"{nope", "lock.json")
    with pytest.raises(InputError, match="expected UTF-8 text"):
        loads_json(b'{"a": "\xc3"}', "lock.json")


def _has_long_digit_run(data: bytes) -> bool:
    return any(data[i : i + 19].isdigit() and len(data[i : i + 19]) == 19 for i in range(len(data)))


@pytest.mark.parametrize("offset", range(8))
@pytest.mark.parametrize("length", [18, 19, 20, 23])
def test_orjson_safe_finds_every_long_digit_run(offset, length):
    # the quick look at every 4th byte must never miss a run of 19 digits, wherever it starts
    data = b'{"t": "2025-10-10T17:39:11Z", "v": "1.2.3", ' + b"x" * offset + b'"n": ' + b"7" * length + b"}"
    assert _orjson_safe(data) is not _has_long_digit_run(data)
    assert _orjson_safe(data) is (length < 19)


def test_big_integers_read_exactly():
    assert loads_json(b'{"n": 18446744073709551616, "m": 1234567890123456789}', "q.json") == {
        "n": 18446744073709551616,
        "m": 1234567890123456789,
    }

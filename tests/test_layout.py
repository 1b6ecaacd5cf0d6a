"""The package layout holds: imports go one way, modules stay small, each rule lives in one place."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[1] / "meta254lib"
#: Layers, bottom first; a module may import its own layer's subpackage and any lower layer.
LAYERS = (
    ("core",),
    ("graph",),
    ("workspace",),
    ("drift", "impact", "quality"),
    ("state",),
    ("remediation",),
    ("views",),
    ("report",),
    ("cli", "devtools"),
)
RANK = {pkg: i for i, layer in enumerate(LAYERS) for pkg in layer}
#: Within the analyses layer, the only direction allowed (quality's drift trends read drift history).
SAME_LAYER = {("quality", "drift"), ("cli", "devtools")}


def _modules() -> list[Path]:
    return sorted(p for p in LIB.rglob("*.py"))


def _imported_subpackages(path: Path) -> list[tuple[str, int]]:
    """The meta254lib subpackages a module imports from, with line numbers."""
    parts = path.relative_to(LIB).parts
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level == 0 and node.module and node.module.split(".")[0] == "meta254lib":
            target = node.module.split(".")[1:2]
        elif node.level > 0:
            base = list(parts[:-1])[: len(parts) - node.level]
            target = (base + (node.module or "").split("."))[:1] if (base or node.module) else []
        else:
            continue
        out.append((target[0] if target and target[0] else "", node.lineno))
    return out


def test_every_subpackage_is_in_a_layer():
    subpackages = {p.name for p in LIB.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert subpackages == set(RANK), subpackages ^ set(RANK)
    assert len(subpackages) >= 5


def test_imports_go_one_way():
    wrong = []
    for path in _modules():
        parts = path.relative_to(LIB).parts
        if len(parts) == 1:
            continue
        me = parts[0]
        for target, line in _imported_subpackages(path):
            if target in ("", "_version") or target == me:
                continue
            ok = RANK[target] < RANK[me] or (me, target) in SAME_LAYER
            if not ok:
                wrong.append(f"{path.relative_to(LIB)}:{line} ({me} imports {target})")
    assert not wrong, wrong


def test_no_module_over_900_lines():
    sizes = {str(p.relative_to(LIB)): len(p.read_text(encoding="utf-8").splitlines()) for p in _modules()}
    assert not {k: v for k, v in sizes.items() if v > 900}


def test_at_most_three_functions_over_120_lines():
    long = [
        (f"{p.relative_to(LIB)}:{n.name}", n.end_lineno - n.lineno + 1)
        for p in _modules()
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > 120
    ]
    assert len(long) <= 3, long


@pytest.mark.parametrize(
    ("needle", "allowed"),
    [
        ("tz_localize", {"core/clock.py"}),
        ("tz_convert", {"core/clock.py"}),
        (r"^\s*(import|from) plotly\b(?!_)", {"views"}),
    ],
)
def test_each_rule_has_one_home(needle, allowed):
    found = set()
    for p in _modules():
        rel = p.relative_to(LIB).as_posix()
        for line in p.read_text(encoding="utf-8").splitlines():
            code = line.split("#")[0]
            if re.search(needle, code) and not code.lstrip().startswith((">>>", '"', "'")):
                found.add(rel)
    outside = {f for f in found if f not in allowed and f.split("/")[0] not in allowed}
    assert not outside, outside


def test_severity_order_is_defined_once():
    defs = [
        p.relative_to(LIB).as_posix()
        for p in _modules()
        for line in p.read_text(encoding="utf-8").splitlines()
        if line.startswith(("SEVERITIES", "SEVERITY_RANK", "_RANK ="))
    ]
    assert defs == ["core/severity.py", "core/severity.py"], defs

"""The release-trains file (``catalog/release-trains.yaml``): parsed leniently and validated.

Each train is read into a :class:`TrainSpec`; what cannot be used becomes a finding (schema
:data:`~meta254lib.core.schema.FINDINGS`: ``file, field, rule, severity, expected, found``) instead of an
exception, so ``meta254 validate`` can list them and ``meta254 trains`` still reports the usable trains.

Examples
--------
>>> trains, findings = parse_trains({"trains": [{"name": "t", "participants": ["a", "a"], "status": "plan",
...                                              "dependencies": [{"spec": "x-api >=1.0"}]}]})
>>> trains[0].participants, trains[0].requirements[0].spec, str(trains[0].requirements[0].specifier)
(('a',), 'x-api', '>=1.0')
>>> [(f["field"], f["severity"]) for f in findings]
[('trains[0].participants[1]', 'warning'), ('trains[0].status', 'warning')]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from ..core import schema as S

if TYPE_CHECKING:
    from ..workspace.workspace import Workspace

__all__ = [
    "EVALUATED_GATES",
    "FINDING_COLUMNS",
    "NO_DATA_GATES",
    "TRAINS_FILE",
    "TRAIN_STATUSES",
    "GateSpec",
    "Requirement",
    "TrainSpec",
    "max_train_size_of",
    "parse_trains",
    "train_findings",
    "with_train_findings",
]

#: The columns of a finding (those of ``meta254 validate``).
FINDING_COLUMNS = (S.FILE, S.FIELD, "rule", S.SEVERITY, "expected", "found")

#: Where the platform keeps its trains.
TRAINS_FILE = "catalog/release-trains.yaml"

#: Train statuses: the union of the platform's documented enum and its planner's ``ReleaseStatus``.
TRAIN_STATUSES = (
    "planning",
    "validating",
    "validated",
    "staging",
    "executing",
    "verifying",
    "completed",
    "failed",
    "rolled_back",
    "paused",
    "cancelled",
)

#: Gate types meta254 evaluates from workspace data, with the input that decides them.
EVALUATED_GATES: dict[str, str] = {
    "quality_score": "the bound quality snapshot (per-participant score)",
    "vulnerabilities": "the catalog's quality.open_critical_vulns",
    "dependency_scan": "vulnerable_dependency drift (OSV advisories x lock files)",
    "security_scan": "vulnerable_dependency drift (OSV advisories x lock files)",
}

#: Gate types with no data in a workspace: reported "not assessed" with the input that would decide them.
NO_DATA_GATES: dict[str, str] = {
    "ci_status": "CI results of each participant's default branch (not in the workspace)",
    "load_test": "load-test results (not in the workspace)",
    "performance_test": "performance benchmark results (not in the workspace)",
    "integration_test": "integration-test results (not in the workspace)",
}

_SPEC = re.compile(r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?P<spec>.*)$")


@dataclass(frozen=True)
class Requirement:
    """One spec requirement of a train: ``spec`` and its version ``specifier`` (``text`` as written)."""

    spec: str
    specifier: SpecifierSet
    text: str


@dataclass(frozen=True)
class GateSpec:
    """One gate as written: name, type, required, ``threshold`` (quality) or ``max_vulns``, description."""

    name: str
    type: str
    required: bool
    threshold: float | None
    max_vulns: int | None
    description: str


@dataclass(frozen=True)
class TrainSpec:
    """One train of the file (participants deduplicated in file order)."""

    index: int
    name: str
    description: str
    target_version: str
    status: str
    created_by: str
    declared_duration: str
    participants: tuple[str, ...]
    requirements: tuple[Requirement, ...]
    gates: tuple[GateSpec, ...]


def _finding(field: str, severity: str, expected: str, found: str, rule: str = "release_trains") -> dict[str, str]:
    return {
        S.FILE: TRAINS_FILE,
        S.FIELD: field,
        "rule": rule,
        S.SEVERITY: severity,
        "expected": expected,
        "found": found,
    }


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _listed(raw: Any, field: str, what: str, out: list[dict[str, str]]) -> list:
    """``raw`` when it is a list; ``[]`` for an absent value; anything else is a finding and ``[]``."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        out.append(_finding(field, "error", f"a list of {what}", f"a {type(raw).__name__}"))
        return []
    return raw


def _requirements(raw: Any, where: str, out: list[dict[str, str]]) -> tuple[Requirement, ...]:
    reqs = []
    for j, dep in enumerate(_listed(raw, f"{where}.dependencies", "spec requirements", out)):
        text = _text(dep.get("spec") if isinstance(dep, Mapping) else dep)
        m = _SPEC.match(text)
        try:
            spec = SpecifierSet(m.group("spec").replace(" ", "")) if m else None
        except InvalidSpecifier:
            spec = None
        if m is None or spec is None:
            out.append(
                _finding(f"{where}.dependencies[{j}]", "error", "'<spec> <specifier>' like 'x-api >=1.2.0'", text)
            )
            continue
        reqs.append(Requirement(m.group("name"), spec, text))
    return tuple(reqs)


def _gates(raw: Any, where: str, out: list[dict[str, str]]) -> tuple[GateSpec, ...]:
    gates = []
    for j, g in enumerate(_listed(raw, f"{where}.gates", "gates", out)):
        field = f"{where}.gates[{j}]"
        if not isinstance(g, Mapping):
            out.append(_finding(field, "warning", "a gate mapping {name, type, ...}", _text(g)))
            continue
        kind = _text(g.get("type"))
        if kind not in EVALUATED_GATES and kind not in NO_DATA_GATES:
            known = ", ".join(sorted({*EVALUATED_GATES, *NO_DATA_GATES}))
            out.append(_finding(f"{field}.type", "warning", f"a gate type meta254 can evaluate ({known})", kind))
        max_vulns = _number(g.get("max_vulns"))
        for key in ("threshold", "max_vulns"):
            if g.get(key) is not None and _number(g.get(key)) is None:
                out.append(_finding(f"{field}.{key}", "error", "a number (the default is used)", _text(g.get(key))))
        gates.append(
            GateSpec(
                name=_text(g.get("name")) or kind or f"gate {j}",
                type=kind,
                required=g.get("required", True) is not False,
                threshold=_number(g.get("threshold")),
                max_vulns=int(max_vulns) if max_vulns is not None else None,
                description=_text(g.get("description")),
            )
        )
    return tuple(gates)


def _participants(raw: Any, where: str, out: list[dict[str, str]]) -> tuple[str, ...]:
    if not isinstance(raw, list):
        out.append(_finding(f"{where}.participants", "error", "a list of service names", _text(raw)))
        return ()
    names: list[str] = []
    for j, p in enumerate(raw):
        name = _text(p) if not isinstance(p, (Mapping, list)) else ""
        if not name:
            out.append(_finding(f"{where}.participants[{j}]", "error", "a service name", _text(p)))
        elif name in names:
            out.append(_finding(f"{where}.participants[{j}]", "warning", "each participant once", f"{name} again"))
        else:
            names.append(name)
    return tuple(names)


def _train(i: int, t: Mapping[str, Any], out: list[dict[str, str]]) -> TrainSpec:
    where = f"trains[{i}]"
    status = _text(t.get("status")) or "planning"
    participants = _participants(t.get("participants"), where, out)
    if status not in TRAIN_STATUSES:
        out.append(_finding(f"{where}.status", "warning", "one of " + ", ".join(TRAIN_STATUSES), status))
    return TrainSpec(
        index=i,
        name=_text(t.get("name")),
        description=_text(t.get("description")),
        target_version=_text(t.get("target_version")),
        status=status,
        created_by=_text(t.get("created_by")),
        declared_duration=_text(t.get("estimated_duration")),
        participants=participants,
        requirements=_requirements(t.get("dependencies"), where, out),
        gates=_gates(t.get("gates"), where, out),
    )


def parse_trains(doc: Any, max_train_size: int | None = None) -> tuple[list[TrainSpec], list[dict[str, str]]]:
    """The trains of a parsed release-trains document and the findings about it.

    Parameters
    ----------
    doc : Any
        The parsed YAML (``{"trains": [...]}`` or a bare list); ``None`` means no file.
    max_train_size : int, optional
        rules.yaml ``release.max_train_size``: a train with more participants is a warning.

    Returns
    -------
    (list of TrainSpec, list of dict)
        Usable trains in file order (a nameless or duplicate-named train is left out, with an error),
        and the findings.

    Examples
    --------
    >>> doc = {"trains": [{"name": "a", "participants": ["x", "y"]}, {"name": "a", "participants": []}]}
    >>> trains, f = parse_trains(doc, 1)
    >>> [t.name for t in trains], [(x["field"], x["found"]) for x in f]
    (['a'], [('trains[0].participants', '2 participants'), ('trains[1].name', 'a again')])
    """
    out: list[dict[str, str]] = []
    if doc is None:
        return [], out
    raw = doc.get("trains") if isinstance(doc, Mapping) else doc
    if not isinstance(raw, list):
        out.append(_finding("trains", "error", "a list of trains", type(raw).__name__))
        return [], out
    trains: list[TrainSpec] = []
    seen: set[str] = set()
    for i, t in enumerate(raw):
        if not isinstance(t, Mapping):
            out.append(_finding(f"trains[{i}]", "error", "a train mapping {name, participants, ...}", _text(t)))
            continue
        train = _train(i, t, out)
        if max_train_size is not None and len(train.participants) > max_train_size:
            out.append(
                _finding(
                    f"trains[{i}].participants",
                    "warning",
                    f"at most {max_train_size} participants (rules.yaml release.max_train_size)",
                    f"{len(train.participants)} participants",
                )
            )
        if not train.name:
            out.append(_finding(f"trains[{i}].name", "error", "a train name", ""))
        elif train.name in seen:
            out.append(_finding(f"trains[{i}].name", "error", "a unique train name", f"{train.name} again"))
        else:
            seen.add(train.name)
            trains.append(train)
    return trains, out


def max_train_size_of(rules: Mapping[str, Any]) -> int | None:
    """rules.yaml ``release.max_train_size`` (``None`` when absent or not a number)."""
    release = rules.get("release") if isinstance(rules, Mapping) else None
    value = _number(release.get("max_train_size")) if isinstance(release, Mapping) else None
    return int(value) if value is not None else None


def train_findings(doc: Any, rules: Mapping[str, Any]) -> list[dict[str, str]]:
    """The findings about a release-trains document (for ``meta254 validate``).

    Examples
    --------
    >>> doc = {"trains": [{"name": "t", "participants": ["a"], "gates": [{"type": "vibes"}]}]}
    >>> [f["field"] for f in train_findings(doc, {})]
    ['trains[0].gates[0].type']
    """
    return parse_trains(doc, max_train_size_of(rules))[1]


def with_train_findings(findings: pd.DataFrame, ws: Workspace) -> pd.DataFrame:
    """``meta254 validate``'s findings with those about the release-trains file, errors before warnings.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import meta254lib as m
    >>> root = pathlib.Path(tempfile.mkdtemp()); (root / "catalog").mkdir()
    >>> _ = (root / "catalog" / "service-index.yaml").write_text("services: []\\n")
    >>> _ = (root / "catalog" / "release-trains.yaml").write_text("trains: [{name: t, participants: [], status: x}]\\n")
    >>> with_train_findings(pd.DataFrame(columns=list(FINDING_COLUMNS)), m.open_workspace(root))["field"].tolist()
    ['trains[0].status']
    """
    rows = train_findings(ws.release_trains, ws.rules)
    if not rows:
        return findings
    both = pd.concat([findings, pd.DataFrame(rows, columns=list(FINDING_COLUMNS))], ignore_index=True)
    order = both[S.SEVERITY].map({"error": 0, "warning": 1})
    return (
        both.assign(_o=order)
        .sort_values(["_o", S.FILE, S.FIELD], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )

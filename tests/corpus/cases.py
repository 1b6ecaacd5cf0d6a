"""The bad-input corpus: broken, hand-edited and hostile workspaces, each with its expected outcome.

Every case is generated in code at test time (the 10 MB strings and the 100k-service catalog are never
committed). A case is a function of a :class:`Ctx` returning ``{relative path: content}``; contents are
bytes (written as is), text (written as is, UTF-8), dicts and lists (YAML for ``.yaml``, JSON otherwise),
or one of :class:`Link`, :class:`Fifo`, :class:`Folder`.

Outcomes
--------
``error``
    The workspace is unusable: ``open_workspace`` raises ``InputError`` naming ``file`` and ``field``
    (exactly), with ``expected`` and ``found`` in its message, and ``meta254 validate`` exits 2.
``warning``
    The workspace loads; ``ws.warnings`` has a row for ``file`` and ``field`` (exactly) whose message
    contains ``found``; and the rest is loaded: every table in ``rows`` has exactly that many rows.
``loaded``
    A legitimate but tricky input: it loads with no warning for ``file`` and the ``rows`` and ``check``
    hold (stated where the judgement could go either way).

Every case gets a marker path outside the workspace; hostile payloads (YAML tags, repr strings, pickles)
try to create it. The runner asserts it never exists.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["CASES", "Case", "Ctx", "Fifo", "Folder", "Link", "catalog", "entry", "materialise"]

ERROR, WARNING, LOADED = "error", "warning", "loaded"
CATALOG = "catalog/service-index.yaml"
GENERATED_AT = "2025-10-10T00:00:00+00:00"
MB10 = 10 * 1024 * 1024
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass(frozen=True)
class Ctx:
    """Where a case is written: the workspace, a folder outside it, and the must-never-exist marker."""

    root: Path
    outside: Path
    marker: Path

    @property
    def touch(self) -> str:
        """A shell command that would prove code ran."""
        return f"touch {self.marker}"


@dataclass(frozen=True)
class Link:
    """A symbolic link; ``target`` may contain ``{outside}`` or ``{root}``."""

    target: str


@dataclass(frozen=True)
class Fifo:
    """A named pipe (reading one blocks forever: a loader must refuse it)."""


@dataclass(frozen=True)
class Folder:
    """A directory where a file is expected."""


@dataclass(frozen=True)
class Case:
    """One corpus case and its expected outcome (see the module docstring)."""

    name: str
    outcome: str
    why: str
    files: Callable[[Ctx], dict[str, Any]]
    file: str = ""
    field: str = ""
    expected: str = ""
    found: str = ""
    rows: Mapping[str, int] = dataclasses.field(default_factory=dict)
    check: Callable[[Any, Ctx], None] | None = None
    setup: Callable[[Ctx], None] | None = None
    heavy: bool = False
    skip_as_root: str = ""


# --- builders ------------------------------------------------------------------------------------


def entry(name: str, **over: Any) -> dict[str, Any]:
    """A schema-valid catalog entry, overridable field by field."""
    e: dict[str, Any] = {
        "name": name,
        "repo": f"https://github.com/254carbon/254carbon-{over.pop('team', 'core')}",
        "domain": "access",
        "version": "1.0.0",
        "maturity": "stable",
        "runtime": "python",
        "api_contracts": [],
        "events_in": [],
        "events_out": [],
        "dependencies": {"internal": [], "external": []},
        "quality": {"coverage": 0.8, "lint_pass": True, "open_critical_vulns": 0},
        "security": {"signed_images": True, "policy_pass": True},
        "last_update": "2025-10-01T00:00:00+00:00",
        "status": "active",
    }
    e.update(over)
    return e


def catalog(*entries: dict[str, Any], **meta: Any) -> dict[str, Any]:
    """A catalog document with ``metadata.generated_at`` and the given entries."""
    return {"metadata": {"generated_at": GENERATED_AT, **meta}, "services": list(entries)}


def two() -> dict[str, Any]:
    """The healthy baseline: services ``a`` and ``b`` (``b`` depends on ``a``)."""
    return {CATALOG: catalog(entry("a"), entry("b", dependencies={"internal": ["a"], "external": ["redis"]}))}


def with_files(files: dict[str, Any]) -> Callable[[Ctx], dict[str, Any]]:
    """The baseline plus files (keyword names use ``__`` for ``/`` and ``_dot_`` for ``.``)."""

    def build(ctx: Ctx) -> dict[str, Any]:
        out = two()
        for key, value in files.items():
            out[key.replace("__", "/").replace("_dot_", ".")] = value(ctx) if callable(value) else value
        return out

    return build


def base_plus(extra: Callable[[Ctx], dict[str, Any]]) -> Callable[[Ctx], dict[str, Any]]:
    """The baseline plus the files ``extra(ctx)`` returns."""
    return lambda ctx: {**two(), **extra(ctx)}


def one_entry(**fields: Any) -> Callable[[Ctx], dict[str, Any]]:
    """A catalog of ``a`` (with ``fields`` overridden) and a healthy ``b``."""
    return lambda ctx: {CATALOG: catalog(entry("a", **fields), entry("b"))}


def raw_catalog(text: str | bytes) -> Callable[[Ctx], dict[str, Any]]:
    """A catalog written verbatim."""
    return lambda ctx: {CATALOG: text if isinstance(text, bytes) else textwrap.dedent(text)}


def drift_report(*issues: Any, generated_at: str | None = "2025-10-09T00:00:00Z") -> dict[str, Any]:
    meta = {"generated_at": generated_at} if generated_at else {}
    return {"metadata": meta, "issues": list(issues)}


DRIFT = "analysis/reports/drift/20251009_000000_drift_report.json"
DRIFT_OK = "analysis/reports/drift/20251002_000000_drift_report.json"
GOOD_ISSUE = {"type": "version_staleness", "severity": "low", "service": "a", "description": "stale"}
REPR_OK = (
    "DriftIssue(type='spec_lag', severity='low', service='b', description='Service pins g@1.0.0 but latest is "
    "1.2.0', current_value='1.0.0', expected_value='1.2.0', remediation='Upgrade')"
)


def snapshot(services: Any, generated_at: str = "2025-10-01T00:00:00Z") -> dict[str, Any]:
    return {"metadata": {"generated_at": generated_at}, "services": services}


def snap_service(score: Any = 80, **metrics: Any) -> dict[str, Any]:
    m = {"coverage": 0.8, "critical_vulns": 0, "high_vulns": 0, "lint_pass": True, **metrics}
    return {"score": score, "grade": "B", "status": "passing", "metrics": m}


QUALITY = "analysis/historical/quality/quality_20251001_000000.json"


def osv(*ranges: Any, **extra: Any) -> dict[str, Any]:
    rec = {
        "id": "GHSA-corpus-0001",
        "summary": "corpus advisory",
        "affected": [{"package": {"name": "redis", "ecosystem": "generic"}, "ranges": list(ranges)}],
        "database_specific": {"severity": "HIGH"},
    }
    rec.update(extra)
    return rec


ADVISORY = "advisories/GHSA-corpus-0001.json"
LOCK = "manifests/collected/a.specs.lock.json"
GOOD_LOCK = {"version": "1.0", "dependencies": {"g": {"version": "1.2.0"}}}


def _bomb(levels: int = 7) -> str:
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels + 1):
        refs = ",".join([f"*l{i - 1}"] * 10)
        lines.append(f"l{i}: &l{i} [{refs}]")
    return "\n".join(lines) + "\n"


def _catalog_text(extra: str = "") -> str:
    return (
        f"metadata: {{generated_at: '{GENERATED_AT}'}}\n"
        "services:\n"
        "- {name: a, repo: https://github.com/254carbon/254carbon-core, domain: access}\n"
        "- {name: b, repo: https://github.com/254carbon/254carbon-core, domain: access}\n" + extra
    )


class _Exploit:
    """Pickles to a call of os.system: unpickling it would create the marker."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.system, (self.command,))


def _pickle(ctx: Ctx) -> bytes:
    return pickle.dumps(_Exploit(ctx.touch), protocol=2)


def _hundred_k(ctx: Ctx) -> dict[str, Any]:
    """100,000 services plus one duplicate name, as the JSON catalog (YAML would take minutes to parse)."""
    services = [
        {
            "name": f"svc-{i:06d}",
            "repo": f"https://github.com/254carbon/254carbon-team{i % 40}",
            "domain": "access",
            "version": f"1.{i % 13}.0",
            "maturity": "stable",
            "runtime": "python",
            "dependencies": {"internal": [f"svc-{i - 1:06d}"] if i else [], "external": ["redis"]},
        }
        for i in range(100_000)
    ]
    services.append({"name": "svc-000007", "repo": "https://github.com/254carbon/254carbon-dup"})
    text = json.dumps({"metadata": {"generated_at": GENERATED_AT}, "services": services})
    return {"catalog/service-index.json": text}


# --- checks --------------------------------------------------------------------------------------


def _value(table: str, service: str, column: str, expected: Any) -> Callable[[Any, Ctx], None]:
    def check(ws: Any, ctx: Ctx) -> None:
        df = getattr(ws, table).set_index("service")
        got = df.loc[service, column]
        assert got == expected, (table, service, column, got, expected)

    return check


def _value_at(table: str, row: int, column: str, expected: Any) -> Callable[[Any, Ctx], None]:
    def check(ws: Any, ctx: Ctx) -> None:
        got = getattr(ws, table).loc[row, column]
        assert got == expected, (table, row, column, got, expected)

    return check


def _is_na(table: str, service: str, column: str) -> Callable[[Any, Ctx], None]:
    def check(ws: Any, ctx: Ctx) -> None:
        import pandas as pd

        got = getattr(ws, table).set_index("service").loc[service, column]
        assert pd.isna(got), (table, service, column, got)

    return check


def _contract(version: str, valid: bool, parts: tuple[int, int, int] | None, pre: str = "") -> Callable:
    def check(ws: Any, ctx: Ctx) -> None:
        c = ws.contracts
        assert c["version"].tolist() == [version]
        assert bool(c.loc[0, "valid"]) is valid
        if parts is not None:
            assert (int(c.loc[0, "major"]), int(c.loc[0, "minor"]), int(c.loc[0, "patch"])) == parts
            assert c.loc[0, "prerelease"] == pre

    return check


def _registry(expected: list[list[Any]]) -> Callable[[Any, Ctx], None]:
    def check(ws: Any, ctx: Ctx) -> None:
        got = ws.spec_versions[["spec", "version", "prerelease", "is_latest"]].values.tolist()
        assert got == expected, got

    return check


def _caches_ignored(count: int) -> Callable[[Any, Ctx], None]:
    def check(ws: Any, ctx: Ctx) -> None:
        inp = ws.inputs
        row = inp[inp["input"] == "ignored_caches"]
        assert len(row) == 1, inp
        assert row["file"].iloc[0] == f"{count} *.cache file(s)"
        assert "never read" in row["note"].iloc[0]

    return check


def _message_short(limit: int = 400) -> Callable[[Any, Ctx], None]:
    def check(ws: Any, ctx: Ctx) -> None:
        longest = ws.warnings["message"].str.len().max()
        assert longest <= limit, longest

    return check


def _all(*checks: Callable[[Any, Ctx], None]) -> Callable[[Any, Ctx], None]:
    def check(ws: Any, ctx: Ctx) -> None:
        for c in checks:
            c(ws, ctx)

    return check


def _chmod_000(rel: str) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        os.chmod(ctx.root / rel, 0)

    return setup


def _osv_intervals(expected: tuple) -> Callable[[Any, Ctx], None]:
    def check(ws: Any, ctx: Ctx) -> None:
        assert ws.advisories["intervals"].tolist() == [expected], ws.advisories["intervals"].tolist()

    return check


def _range_matches(version: str, affected: bool) -> Callable[[Any, Ctx], None]:
    def check(ws: Any, ctx: Ctx) -> None:
        from meta254lib.core.versions import in_osv_range, parse_version

        row = ws.advisories.iloc[0]
        assert in_osv_range(parse_version(version), row["intervals"], row["versions"]) is affected

    return check


# --- the cases -----------------------------------------------------------------------------------

_PIN_REGISTRY = {"config/specs-index.json": {"g": {"latest_version": "1.2.3"}}}


def _pin_case(name: str, version: str, outcome: str, found: str, check: Callable, why: str) -> Case:
    return Case(
        name,
        outcome,
        why,
        lambda ctx: {
            CATALOG: catalog(entry("a", api_contracts=[f"g@{version}"]), entry("b")),
            **_PIN_REGISTRY,
        },
        file=CATALOG,
        field="services[0].api_contracts[0]",
        found=found,
        rows={"services": 2, "contracts": 1},
        check=check,
    )


def _registry_case(name: str, body: dict, outcome: str, where: str, found: str, rows: int, check: Callable, why: str):
    return Case(
        name,
        outcome,
        why,
        with_files({"config/specs-index.json": {"g": body, "h": {"latest_version": "2.0.0"}}}),
        file="config/specs-index.json",
        field=where,
        found=found,
        rows={"services": 2, "spec_versions": rows},
        check=check,
    )


CASES: list[Case] = [
    # --- YAML ------------------------------------------------------------------------------------
    Case(
        "yaml-truncated-flow",
        ERROR,
        "A catalog cut off inside a flow mapping cannot be read; the line and column say where.",
        raw_catalog(_catalog_text("- {name: c, repo: https://github.com/254carbon/254carbon-co")),
        file=CATALOG,
        field="line 6, column 1",
        expected="valid YAML",
        found="did not find expected ',' or '}'",
    ),
    Case(
        "yaml-truncated-quote",
        ERROR,
        "A catalog cut off inside a quoted string.",
        raw_catalog(_catalog_text('- name: "c\n  repo: x\n')[:-12]),
        file=CATALOG,
        field="line 5, column 10",
        expected="valid YAML",
        found="unexpected end of stream (while scanning a quoted scalar)",
    ),
    Case(
        "yaml-tabs",
        ERROR,
        "Tab indentation is not YAML; the message says so in plain words.",
        raw_catalog("services:\n\t- name: a\n"),
        file=CATALOG,
        field="line 2, column 1",
        expected="valid YAML",
        found="a tab character (YAML indentation must use spaces)",
    ),
    Case(
        "yaml-duplicate-key-in-entry",
        WARNING,
        "A key written twice: the last value wins (as in every YAML 1.1 loader, the platform's included) "
        "and the warning names the key and line, so the overwritten value can be found.",
        raw_catalog(_catalog_text("- name: c\n  version: 1.0.0\n  version: 2.0.0\n")),
        file=CATALOG,
        field="version",
        found="duplicate key 'version' (line 7); the last value is used",
        rows={"services": 3},
        check=_value("services", "c", "version", "2.0.0"),
    ),
    Case(
        "yaml-duplicate-services-section",
        WARNING,
        "`services:` written twice: the second list wins, loudly (judgement: same rule as any duplicate key).",
        raw_catalog(_catalog_text("services:\n- {name: z}\n")),
        file=CATALOG,
        field="services",
        found="duplicate key 'services' (line 5); the last value is used",
        rows={"services": 1},
    ),
    Case(
        "yaml-billion-laughs-catalog",
        ERROR,
        "Anchors expanding to 10 million values are refused before anything walks them.",
        raw_catalog(_catalog_text() + _bomb()),
        file=CATALOG,
        field="",
        expected="at most 2,000,000 values once aliases are expanded",
        found="an alias bomb",
    ),
    Case(
        "yaml-billion-laughs-rules",
        WARNING,
        "An alias bomb in an optional file: that file is refused, the rest loads.",
        with_files({"config/rules.yaml": _bomb()}),
        file="config/rules.yaml",
        field="",
        found="unusable: expected at most 2,000,000 values once aliases are expanded",
        rows={"services": 2, "dependencies": 2},
    ),
    Case(
        "yaml-python-object-catalog",
        ERROR,
        "A tag that would call os.system is refused, not constructed (the marker proves nothing ran).",
        lambda ctx: {CATALOG: f"services: !!python/object/apply:os.system ['{ctx.touch}']\n"},
        file=CATALOG,
        field="line 1, column 11",
        expected="plain YAML data (tags that build Python objects are never constructed)",
        found="tag:yaml.org,2002:python/object/apply:os.system",
    ),
    Case(
        "yaml-python-object-manifest",
        WARNING,
        "The same tag in a manifest: the manifest is refused, the catalog loads.",
        with_files({"manifests/collected/a.yaml": lambda ctx: f"!!python/object/new:os.system ['{ctx.touch}']\n"}),
        file="manifests/collected/a.yaml",
        field="line 1, column 1",
        found="tag:yaml.org,2002:python/object/new:os.system",
        rows={"services": 2, "manifests": 0},
    ),
    Case(
        "yaml-python-name-thresholds",
        WARNING,
        "`!!python/name:` (a reference to a callable) is refused too.",
        with_files({"config/thresholds.yaml": "weights: !!python/name:os.system\n"}),
        file="config/thresholds.yaml",
        field="line 1, column 10",
        found="tag:yaml.org,2002:python/name:os.system",
        rows={"services": 2},
    ),
    Case(
        "yaml-latin1-catalog",
        ERROR,
        "Bytes that are not UTF-8 (a Latin-1 é): the byte and its offset are named.",
        raw_catalog(_catalog_text("- {name: c, description: caf\xe9}\n").encode("latin-1")),
        file=CATALOG,
        field="",
        expected="UTF-8 text",
        found="byte 0xe9 at offset 250",
    ),
    Case(
        "yaml-utf16-catalog",
        ERROR,
        "A catalog saved as UTF-16 by an editor.",
        raw_catalog(_catalog_text().encode("utf-16")),
        file=CATALOG,
        field="",
        expected="UTF-8 text",
        found="byte 0xff at offset 0",
    ),
    Case(
        "yaml-non-utf8-teams",
        WARNING,
        "Invalid UTF-8 in an optional file: warned, teams fall back to repository names.",
        with_files({"config/teams.yaml": b"teams:\n  core: {services: [a], contact: \xff\xfe}\n"}),
        file="config/teams.yaml",
        field="",
        found="unusable: expected UTF-8 text, found byte 0xff at offset 40",
        rows={"services": 2, "teams": 2},
    ),
    Case(
        "yaml-empty-catalog",
        ERROR,
        "An empty catalog is unusable.",
        raw_catalog(b""),
        file=CATALOG,
        field="",
        expected="a catalog mapping with `metadata` and `services`",
        found="an empty file",
    ),
    Case(
        "yaml-comment-only-catalog",
        ERROR,
        "A catalog with only comments is as empty as an empty one.",
        raw_catalog("# generated by hand\n# TODO\n"),
        file=CATALOG,
        field="",
        expected="a catalog mapping with `metadata` and `services`",
        found="an empty file",
    ),
    Case(
        "yaml-empty-events-registry",
        WARNING,
        "An empty optional file is read as absent (judgement: an empty registry is more likely a broken "
        "checkout than a platform with no events, so unknown-event checks are 'not assessed' instead of "
        "flagging every event).",
        with_files({"config/events-registry.yaml": b""}),
        file="config/events-registry.yaml",
        field="",
        found="empty file; read as absent",
        rows={"services": 2},
        check=lambda ws, ctx: (
            (_ for _ in ()).throw(AssertionError(ws.events_registry)) if ws.events_registry is not None else None
        ),
    ),
    Case(
        "yaml-top-level-list-catalog",
        ERROR,
        "A catalog whose top level is a list of services, not a mapping.",
        lambda ctx: {CATALOG: [entry("a"), entry("b")]},
        file=CATALOG,
        field="",
        expected="a mapping with `metadata` and `services` at the top level",
        found="list [",
    ),
    Case(
        "yaml-top-level-scalar-catalog",
        ERROR,
        "A catalog that is one line of text.",
        raw_catalog("just some text\n"),
        file=CATALOG,
        field="",
        expected="a mapping with `metadata` and `services` at the top level",
        found="'just some text'",
    ),
    Case(
        "yaml-top-level-list-thresholds",
        WARNING,
        "An optional config whose top level is a list: ignored, defaults used.",
        with_files({"config/thresholds.yaml": ["coverage", 0.8]}),
        file="config/thresholds.yaml",
        field="",
        found="expected a mapping at the top level, found a list; ignored",
        rows={"services": 2},
    ),
    Case(
        "yaml-two-documents",
        ERROR,
        "Two YAML documents in one catalog (a bad merge): which one is meant cannot be guessed.",
        raw_catalog(_catalog_text() + "---\nservices: []\n"),
        file=CATALOG,
        field="line 5, column 1",
        expected="valid YAML",
        found="expected a single document in the stream",
    ),
    Case(
        "yaml-unhashable-key",
        ERROR,
        "A list used as a mapping key is valid YAML syntax but not data any JSON tool can hold.",
        raw_catalog(_catalog_text("- {? [x, y] : 1, name: c}\n")),
        file=CATALOG,
        field="line 5, column 6",
        expected="mapping keys that are plain values",
        found="a list or mapping used as a key",
    ),
    Case(
        "yaml-nul-byte",
        ERROR,
        "A NUL byte (a binary file saved over the catalog).",
        raw_catalog(_catalog_text().encode() + b"\x00\n"),
        file=CATALOG,
        field="line 5, column 1",
        expected="valid YAML",
        found="character #x0000 (control characters are not allowed)",
    ),
    Case(
        "yaml-deep-nesting",
        ERROR,
        "Ten thousand nested lists: refused with a message (libyaml stops at depth 1000), never a traceback.",
        raw_catalog("services: " + "[" * 10_000 + "]" * 10_000 + "\n"),
        file=CATALOG,
        field="line 1, column 1010",
        expected="valid YAML",
        found="exceeded maximum nesting depth",
    ),
    # --- wrong types -----------------------------------------------------------------------------
    Case(
        "services-as-mapping",
        WARNING,
        "`services` written as a mapping keyed by name: read (the intent is clear) and warned.",
        lambda ctx: {
            CATALOG: {"metadata": {"generated_at": GENERATED_AT}, "services": {"a": {"domain": "ml"}, "b": {}}}
        },
        file=CATALOG,
        field="services",
        found="a mapping keyed by name instead of a list; read its values",
        rows={"services": 2},
        check=_value("services", "a", "domain", "ml"),
    ),
    Case(
        "services-as-string",
        ERROR,
        "`services` is a string: nothing can be read.",
        lambda ctx: {CATALOG: {"services": "a, b"}},
        file=CATALOG,
        field="services",
        expected="a list of service mappings",
        found="'a, b'",
    ),
    Case(
        "services-missing",
        ERROR,
        "No `services` key at all.",
        lambda ctx: {CATALOG: {"metadata": {"generated_at": GENERATED_AT}, "service": [entry("a")]}},
        file=CATALOG,
        field="services",
        expected="a list of services",
        found="no `services` key",
    ),
    Case(
        "services-null",
        ERROR,
        "`services:` with nothing after it: the message must not claim the key is missing.",
        raw_catalog(f"metadata: {{generated_at: '{GENERATED_AT}'}}\nservices:\n"),
        file=CATALOG,
        field="services",
        expected="a list of services",
        found="an empty value",
    ),
    Case(
        "version-float-1.10",
        WARNING,
        "An unquoted `version: 1.10` keeps its text 1.10 (not 1.1) and is warned.",
        raw_catalog(_catalog_text("- name: c\n  version: 1.10\n")),
        file=CATALOG,
        field="services[2].version",
        found="unquoted version 1.10 kept as text",
        rows={"services": 3},
        check=_value("services", "c", "version", "1.10"),
    ),
    Case(
        "coverage-percent-string",
        WARNING,
        'Coverage "85%" is read as 0.85 and warned (the intent is unambiguous).',
        one_entry(quality={"coverage": "85%", "lint_pass": True, "open_critical_vulns": 0}),
        file=CATALOG,
        field="services[0].quality.coverage",
        found="percentage '85%' read as 0.85",
        rows={"services": 2},
        check=_value("services", "a", "coverage", 0.85),
    ),
    Case(
        "coverage-junk-string",
        WARNING,
        'Coverage "high" is unknown (NA), never 0.',
        one_entry(quality={"coverage": "high"}),
        file=CATALOG,
        field="services[0].quality.coverage",
        found="expected a fraction 0..1, found 'high'; ignored",
        rows={"services": 2},
        check=_is_na("services", "a", "coverage"),
    ),
    Case(
        "vulns-negative",
        WARNING,
        "A negative vulnerability count is unknown, not zero and not negative.",
        one_entry(quality={"coverage": 0.8, "open_critical_vulns": -3}),
        file=CATALOG,
        field="services[0].quality.open_critical_vulns",
        found="expected a count >= 0, found -3; ignored",
        rows={"services": 2},
        check=_is_na("services", "a", "open_critical_vulns"),
    ),
    Case(
        "vulns-beyond-int64",
        WARNING,
        "A count of 10^30 cannot be stored (and is not real): unknown, warned, no overflow crash.",
        one_entry(quality={"coverage": 0.8, "open_critical_vulns": 10**30}),
        file=CATALOG,
        field="services[0].quality.open_critical_vulns",
        found="too large to be a count",
        rows={"services": 2},
        check=_is_na("services", "a", "open_critical_vulns"),
    ),
    Case(
        "boolean-as-string",
        WARNING,
        'lint_pass: "yes" is read as true and warned.',
        one_entry(quality={"coverage": 0.8, "lint_pass": "yes"}),
        file=CATALOG,
        field="services[0].quality.lint_pass",
        found="boolean written as text 'yes'; read as true",
        rows={"services": 2},
        check=_value("services", "a", "lint_pass", True),
    ),
    Case(
        "boolean-junk",
        WARNING,
        'signed_images: "maybe" is unknown (NA).',
        one_entry(security={"signed_images": "maybe", "policy_pass": True}),
        file=CATALOG,
        field="services[0].security.signed_images",
        found="expected a boolean, found 'maybe'; ignored",
        rows={"services": 2},
        check=_is_na("services", "a", "signed_images"),
    ),
    Case(
        "entry-not-a-mapping",
        WARNING,
        "A bare string among the services is skipped; the others load.",
        lambda ctx: {CATALOG: catalog("a-bare-string", entry("b"), entry("c"))},
        file=CATALOG,
        field="services[0]",
        found="expected a service mapping, found 'a-bare-string'; skipped",
        rows={"services": 2},
    ),
    Case(
        "entry-without-name",
        WARNING,
        "An entry without a name cannot be referred to: skipped.",
        lambda ctx: {CATALOG: catalog(entry("a"), {"repo": "x", "domain": "ml"}, entry("c"))},
        file=CATALOG,
        field="services[1].name",
        found="expected a service name, found None; skipped",
        rows={"services": 2},
    ),
    Case(
        "metadata-as-list",
        WARNING,
        "`metadata` as a list is ignored; services still load.",
        lambda ctx: {CATALOG: {"metadata": ["generated_at", GENERATED_AT], "services": [entry("a")]}},
        file=CATALOG,
        field="metadata",
        found="expected a mapping, found list",
        rows={"services": 1},
    ),
    Case(
        "generated-at-garbage",
        WARNING,
        "An unreadable generated_at is named (as_of then falls back to the newest last_update).",
        lambda ctx: {CATALOG: catalog(entry("a"), generated_at="next tuesday")},
        file=CATALOG,
        field="metadata.generated_at",
        found="expected an ISO-8601 timestamp, found 'next tuesday'",
        rows={"services": 1},
        check=lambda ws, ctx: None if str(ws.resolve_as_of()) == "2025-10-01 00:00:00+00:00" else 1 / 0,
    ),
    Case(
        "dependencies-as-string",
        WARNING,
        "`dependencies: a` is ignored with a warning (it is not a mapping or a list).",
        one_entry(dependencies="b"),
        file=CATALOG,
        field="services[0].dependencies",
        found="expected a mapping, found 'b'; ignored",
        rows={"services": 2, "dependencies": 0},
    ),
    Case(
        "api-contracts-as-mapping",
        WARNING,
        "`api_contracts` as a mapping is ignored with a warning.",
        one_entry(api_contracts={"g": "1.0.0"}),
        file=CATALOG,
        field="services[0].api_contracts",
        found="expected a list, found dict",
        rows={"services": 2, "contracts": 0},
    ),
    Case(
        "last-update-garbage",
        WARNING,
        "An unreadable last_update is unknown (NA) and named.",
        one_entry(last_update="last week"),
        file=CATALOG,
        field="services[0].last_update",
        found="expected an ISO-8601 timestamp, found 'last week'",
        rows={"services": 2},
        check=_is_na("services", "a", "last_update"),
    ),
    # --- unknown enums, names, sizes ---------------------------------------------------------------
    Case(
        "maturity-unknown",
        WARNING,
        "An unknown maturity is kept as written and warned.",
        one_entry(maturity="legendary"),
        file=CATALOG,
        field="services[0].maturity",
        found="unknown maturity 'legendary' (expected one of experimental, beta, stable, deprecated)",
        rows={"services": 2},
        check=_value("services", "a", "maturity", "legendary"),
    ),
    Case(
        "runtime-unknown",
        WARNING,
        "An unknown runtime is kept and warned.",
        one_entry(runtime="cobol"),
        file=CATALOG,
        field="services[0].runtime",
        found="unknown runtime 'cobol' (expected one of python, nodejs, go, java, docker)",
        rows={"services": 2},
    ),
    Case(
        "domain-unknown-with-rules",
        WARNING,
        "A domain that rules.yaml gives no layer.",
        lambda ctx: {
            **one_entry(domain="astrology")(ctx),
            "config/rules.yaml": {"dependency": {"domain_layers": {"access": 3, "shared": 1}}},
        },
        file=CATALOG,
        field="services[0].domain",
        found="domain 'astrology' has no layer in rules.yaml domain_layers",
        rows={"services": 2},
    ),
    Case(
        "domain-unknown-without-rules",
        WARNING,
        "Without rules.yaml the manifest schema's domains are the reference.",
        one_entry(domain="astrology"),
        file=CATALOG,
        field="services[0].domain",
        found="unknown domain 'astrology' (expected one of access, data-processing",
        rows={"services": 2},
    ),
    Case(
        "maturity-as-list",
        WARNING,
        "A list where text is expected is ignored, not stringified.",
        one_entry(maturity=["stable", "beta"]),
        file=CATALOG,
        field="services[0].maturity",
        found="expected text, found list ['stable', 'beta']; ignored",
        rows={"services": 2},
        check=_is_na("services", "a", "maturity"),
    ),
    Case(
        "duplicate-service-names",
        WARNING,
        "A name used twice: the first entry is kept (the platform's tools keep the first too), warned.",
        lambda ctx: {CATALOG: catalog(entry("a"), entry("b"), entry("a", domain="ml"))},
        file=CATALOG,
        field="services[2].name",
        found="duplicate service 'a'; the first entry (services[0]) is used",
        rows={"services": 2},
        check=_value("services", "a", "domain", "access"),
    ),
    Case(
        "service-named-like-a-path",
        WARNING,
        "A service named ../../etc is kept (data is never dropped) and warned; it is never used to build a file path.",
        lambda ctx: {CATALOG: catalog(entry("a"), entry("../../etc"))},
        file=CATALOG,
        field="services[1].name",
        found="'../../etc' is not a valid service name",
        rows={"services": 2},
    ),
    Case(
        "ten-mb-domain",
        WARNING,
        "A 10 MB domain string: loaded, and the warning quotes it truncated (messages stay short).",
        lambda ctx: {CATALOG: catalog(entry("a", domain="x" * MB10), entry("b"))},
        file=CATALOG,
        field="services[0].domain",
        found="unknown domain 'xxxxxxxx",
        rows={"services": 2},
        check=_message_short(),
    ),
    Case(
        "ten-mb-service-name",
        WARNING,
        "A 10 MB service name: kept, warned, quoted truncated.",
        lambda ctx: {CATALOG: catalog(entry("a"), entry("n" * MB10))},
        file=CATALOG,
        field="services[1].name",
        found="is not a valid service name",
        rows={"services": 2},
        check=_message_short(),
    ),
    Case(
        "ten-mb-drift-description",
        LOADED,
        "A 10 MB description in a drift report is kept whole (never truncate data, only messages).",
        with_files(
            {
                "analysis/reports/drift/20251009_000000_drift_report.json": lambda ctx: drift_report(
                    {**GOOD_ISSUE, "description": "d" * MB10}
                )
            }
        ),
        file=DRIFT,
        rows={"services": 2, "drift_history": 1},
        check=lambda ws, ctx: None if len(ws.drift_history.loc[0, "description"]) == MB10 else 1 / 0,
    ),
    Case(
        "hundred-thousand-services",
        WARNING,
        "100,000 services (plus one duplicate) load in seconds from the JSON catalog; the duplicate is named.",
        _hundred_k,
        file="catalog/service-index.json",
        field="services[100000].name",
        found="duplicate service 'svc-000007'; the first entry (services[7]) is used",
        rows={"services": 100_000},
        heavy=True,
    ),
    # --- versions in pins ----------------------------------------------------------------------------
    _pin_case(
        "pin-latest",
        "latest",
        WARNING,
        "'latest' is not a semantic version; kept as written (drift reports it as invalid_version)",
        _contract("latest", False, None),
        "`latest` cannot be compared: kept, flagged, and left to drift's invalid_version.",
    ),
    _pin_case(
        "pin-caret-range",
        "^1.2",
        WARNING,
        "'^1.2' is not a semantic version",
        _contract("^1.2", False, None),
        "A range is not a pin.",
    ),
    _pin_case(
        "pin-v-prefix",
        "v1.2.3",
        WARNING,
        "'g@v1.2.3': normalised v1.2.3 to 1.2.3",
        _contract("v1.2.3", True, (1, 2, 3)),
        "A leading v is normalised (the pin text is kept as written).",
    ),
    _pin_case(
        "pin-two-parts",
        "1.2",
        WARNING,
        "'g@1.2': normalised 1.2 to 1.2.0",
        _contract("1.2", True, (1, 2, 0)),
        "A missing patch is read as 0.",
    ),
    _pin_case(
        "pin-prerelease",
        "1.2.3-rc.1",
        LOADED,
        "",
        _contract("1.2.3-rc.1", True, (1, 2, 3), "rc.1"),
        "A pre-release is a valid semantic version: no warning; it sorts before 1.2.3.",
    ),
    _pin_case(
        "pin-build-metadata",
        "1.2.3+build",
        WARNING,
        "'g@1.2.3+build': build metadata +build ignored for ordering",
        _contract("1.2.3+build", True, (1, 2, 3)),
        "Build metadata is allowed by semver and ignored for ordering, which is worth saying.",
    ),
    # --- versions in the registry ----------------------------------------------------------------------
    _registry_case(
        "registry-latest",
        {"latest_version": "latest"},
        WARNING,
        "g.latest_version",
        "'latest' is not a semantic version; ignored",
        1,
        _registry([["h", "2.0.0", "", True]]),
        "A spec whose only version is 'latest' has no usable version: skipped, the other spec loads.",
    ),
    _registry_case(
        "registry-caret-range",
        {"versions": ["1.0.0", "^1.2"]},
        WARNING,
        "g.versions[1].version",
        "'^1.2' is not a semantic version; skipped",
        2,
        _registry([["g", "1.0.0", "", True], ["h", "2.0.0", "", True]]),
        "A range in the history is skipped; the real versions stay.",
    ),
    _registry_case(
        "registry-v-prefix",
        {"versions": ["1.0.0", "v1.2.3"]},
        WARNING,
        "g.versions[1].version",
        "normalised v1.2.3 to 1.2.3",
        3,
        _registry([["g", "1.0.0", "", False], ["g", "v1.2.3", "", True], ["h", "2.0.0", "", True]]),
        "A leading v is accepted (text kept as written, so deprecated lists still match) and warned.",
    ),
    _registry_case(
        "registry-two-parts",
        {"latest_version": "1.2"},
        WARNING,
        "g.latest_version",
        "normalised 1.2 to 1.2.0",
        2,
        _registry([["g", "1.2", "", True], ["h", "2.0.0", "", True]]),
        "1.2 is read as 1.2.0 and warned.",
    ),
    _registry_case(
        "registry-prerelease",
        {"versions": ["1.2.2", "1.2.3-rc.1"]},
        LOADED,
        "",
        "",
        3,
        _registry([["g", "1.2.2", "", True], ["g", "1.2.3-rc.1", "rc.1", False], ["h", "2.0.0", "", True]]),
        "A pre-release is never 'latest' while a final release exists (WORKSPACE.md).",
    ),
    _registry_case(
        "registry-build-metadata",
        {"versions": ["1.2.3+build"]},
        WARNING,
        "g.versions[0].version",
        "build metadata +build ignored for ordering",
        2,
        _registry([["g", "1.2.3+build", "", True], ["h", "2.0.0", "", True]]),
        "Build metadata is accepted and warned.",
    ),
    # --- drift reports ----------------------------------------------------------------------------
    Case(
        "drift-repr-os-system",
        WARNING,
        "A repr string that would run os.system under eval is refused (ast literals only); the marker "
        "proves nothing ran, and the other issue of the report loads.",
        with_files(
            {
                "analysis/reports/drift/20251009_000000_drift_report.json": lambda ctx: drift_report(
                    f"DriftIssue(type=__import__('os').system('{ctx.touch}'), severity='low', service='a')", REPR_OK
                )
            }
        ),
        file=DRIFT,
        field="issues[0]",
        found="unreadable issue (keyword 'type' is not a literal); skipped",
        rows={"services": 2, "drift_history": 1},
    ),
    Case(
        "drift-repr-exec-in-description",
        WARNING,
        "Code hidden in a later keyword is refused just the same.",
        with_files(
            {
                "analysis/reports/drift/20251009_000000_drift_report.json": lambda ctx: drift_report(
                    "DriftIssue(type='version_staleness', severity='low', service='a', "
                    f"description=exec(\"import os; os.system('{ctx.touch}')\"))"
                )
            }
        ),
        file=DRIFT,
        field="issues[0]",
        found="unreadable issue (keyword 'description' is not a literal); skipped",
        rows={"drift_history": 0},
    ),
    Case(
        "drift-repr-attribute-call",
        WARNING,
        "A repr that is a call of os.system itself.",
        with_files(
            {
                "analysis/reports/drift/20251009_000000_drift_report.json": lambda ctx: drift_report(
                    f"os.system('{ctx.touch}')", REPR_OK
                )
            }
        ),
        file=DRIFT,
        field="issues[0]",
        found="unreadable issue (not a DriftIssue(...) repr); skipped",
        rows={"drift_history": 1},
    ),
    Case(
        "drift-repr-truncated",
        WARNING,
        "A repr cut off mid-way.",
        with_files(
            {
                "analysis/reports/drift/20251009_000000_drift_report.json": drift_report(
                    "DriftIssue(type='spec_lag', severity='low', service='b'", REPR_OK
                )
            }
        ),
        file=DRIFT,
        field="issues[0]",
        found="unreadable issue (not a DriftIssue(...) repr: '(' was never closed); skipped",
        rows={"drift_history": 1},
    ),
    Case(
        "drift-repr-memory-bomb",
        WARNING,
        "'a' * 10**10 would need 10 GB under eval; as a non-literal it is refused at once.",
        with_files(
            {
                "analysis/reports/drift/20251009_000000_drift_report.json": drift_report(
                    "DriftIssue(type='a' * 10**10, severity='low', service='a')", REPR_OK
                )
            }
        ),
        file=DRIFT,
        field="issues[0]",
        found="keyword 'type' is not a literal",
        rows={"drift_history": 1},
    ),
    Case(
        "drift-repr-deep-expression",
        WARNING,
        "A hundred thousand unary minus signs: refused with a message, no RecursionError.",
        with_files(
            {
                "analysis/reports/drift/20251009_000000_drift_report.json": drift_report(
                    "DriftIssue(type=" + "-" * 100_000 + "1, service='a')", REPR_OK
                )
            }
        ),
        file=DRIFT,
        field="issues[0]",
        found="unreadable issue (",
        rows={"drift_history": 1},
    ),
    Case(
        "drift-unknown-severity",
        WARNING,
        "An unknown severity is kept as written (raw_severity) and counted as unknown, not dropped.",
        with_files(
            {
                "analysis/reports/drift/20251009_000000_drift_report.json": drift_report(
                    {**GOOD_ISSUE, "severity": "catastrophic"}, REPR_OK
                )
            }
        ),
        file=DRIFT,
        field="issues[0].severity",
        found="unknown severity 'catastrophic'; kept as unknown",
        rows={"drift_history": 2},
    ),
    Case(
        "drift-severity-number",
        WARNING,
        "A numeric severity is unknown too.",
        with_files(
            {"analysis/reports/drift/20251009_000000_drift_report.json": drift_report({**GOOD_ISSUE, "severity": 5})}
        ),
        file=DRIFT,
        field="issues[0].severity",
        found="unknown severity 5; kept as unknown",
        rows={"drift_history": 1},
    ),
    Case(
        "drift-missing-issues",
        WARNING,
        "A report without an `issues` section counts as a report with no issues; other reports load.",
        with_files(
            {
                "analysis/reports/drift/20251009_000000_drift_report.json": {
                    "metadata": {"generated_at": "2025-10-09T00:00:00Z"}
                },
                "analysis/reports/drift/20251002_000000_drift_report.json": drift_report(
                    GOOD_ISSUE, generated_at="2025-10-02T00:00:00Z"
                ),
            }
        ),
        file=DRIFT,
        field="issues",
        found="no `issues` section; read as a report with no issues",
        rows={"drift_history": 1},
    ),
    Case(
        "drift-no-time-anywhere",
        WARNING,
        "No generated_at and no stamp in the file name: the report cannot be placed in time, so it is skipped.",
        with_files(
            {
                "analysis/reports/drift/manual_drift_report.json": drift_report(GOOD_ISSUE, generated_at=None),
                "analysis/reports/drift/20251002_000000_drift_report.json": drift_report(GOOD_ISSUE),
            }
        ),
        file="analysis/reports/drift/manual_drift_report.json",
        field="metadata.generated_at",
        found="no report time in metadata or file name; report skipped",
        rows={"drift_history": 1},
    ),
    Case(
        "drift-not-json",
        WARNING,
        "A drift report that is not JSON.",
        with_files(
            {
                "analysis/reports/drift/20251009_000000_drift_report.json": "{'issues': [",
                "analysis/reports/drift/20251002_000000_drift_report.json": drift_report(GOOD_ISSUE),
            }
        ),
        file=DRIFT,
        field="line 1, column 2",
        found="unusable: expected valid JSON, found Expecting property name enclosed in double quotes",
        rows={"drift_history": 1},
    ),
    Case(
        "drift-issues-as-mapping",
        WARNING,
        "`issues` as a mapping: the report is skipped, named.",
        with_files({"analysis/reports/drift/20251009_000000_drift_report.json": {"issues": {"0": GOOD_ISSUE}}}),
        file=DRIFT,
        field="issues",
        found="expected a list, found dict",
        rows={"drift_history": 0},
    ),
    Case(
        "drift-issue-without-service",
        WARNING,
        "An issue naming no service cannot be attributed: skipped.",
        with_files(
            {
                "analysis/reports/drift/20251009_000000_drift_report.json": drift_report(
                    {"type": "missing_lock", "severity": "high"}, GOOD_ISSUE
                )
            }
        ),
        file=DRIFT,
        field="issues[0].service",
        found="expected a service name, found None; skipped",
        rows={"drift_history": 1},
    ),
    # --- quality snapshots ------------------------------------------------------------------------
    Case(
        "quality-missing-metrics",
        WARNING,
        "A service with a score and no metrics: its metrics are unknown (NA), never zero, and this is said.",
        with_files(
            {
                "analysis/historical/quality/quality_20251001_000000.json": snapshot(
                    {"a": {"score": 80, "grade": "B", "status": "passing"}, "b": snap_service(90)}
                )
            }
        ),
        file=QUALITY,
        field="services.a",
        found="no metrics recorded; every metric is unknown",
        rows={"quality_history": 2},
        check=_is_na("quality_history", "a", "coverage"),
    ),
    Case(
        "quality-missing-score",
        WARNING,
        "A service with metrics and no score: kept (its metrics count), score unknown, warned.",
        with_files(
            {
                "analysis/historical/quality/quality_20251001_000000.json": snapshot(
                    {"a": {"metrics": {"coverage": 0.5}}, "b": snap_service(90)}
                )
            }
        ),
        file=QUALITY,
        field="services.a.score",
        found="no score recorded",
        rows={"quality_history": 2},
        check=_value("quality_history", "a", "coverage", 0.5),
    ),
    Case(
        "quality-score-above-100",
        WARNING,
        "A score of 140 is outside 0..100: unknown, warned.",
        with_files({"analysis/historical/quality/quality_20251001_000000.json": snapshot({"a": snap_service(140)})}),
        file=QUALITY,
        field="services.a.score",
        found="score 140 outside 0..100; ignored",
        rows={"quality_history": 1},
        check=_is_na("quality_history", "a", "score"),
    ),
    Case(
        "quality-score-negative",
        WARNING,
        "A score of -5 is outside 0..100.",
        with_files({"analysis/historical/quality/quality_20251001_000000.json": snapshot({"a": snap_service(-5)})}),
        file=QUALITY,
        field="services.a.score",
        found="score -5 outside 0..100; ignored",
        rows={"quality_history": 1},
    ),
    Case(
        "quality-score-as-text",
        WARNING,
        'A score written "85" is read as 85 and warned.',
        with_files({"analysis/historical/quality/quality_20251001_000000.json": snapshot({"a": snap_service("85")})}),
        file=QUALITY,
        field="services.a.score",
        found="number written as text '85'",
        rows={"quality_history": 1},
        check=_value("quality_history", "a", "score", 85.0),
    ),
    Case(
        "quality-mixed-shapes",
        WARNING,
        "History in three shapes (snapshot, readme, schema): all rows load, and each file whose shape "
        "differs from the newest is named, because metrics it lacks are unknown for that week.",
        with_files(
            {
                "analysis/historical/quality/quality_20250915_000000.json": {
                    "generated_at": "2025-09-15T00:00:00Z",
                    "services": {"a": {"coverage": 0.7, "lint_pass": True, "vuln_critical": 1, "score": 70}},
                },
                "analysis/historical/quality/quality_20250922_000000.json": {
                    "generated_at": "2025-09-22T00:00:00",
                    "services": {"a": {"coverage": 0.72, "open_critical_vulns": 0, "score": 75, "grade": "C"}},
                },
                "analysis/historical/quality/quality_20251001_000000.json": snapshot({"a": snap_service(80)}),
            }
        ),
        file="analysis/historical/quality/quality_20250915_000000.json",
        field="services",
        found="shape 'readme' differs from the newest snapshot's shape 'snapshot'",
        rows={"quality_history": 3},
        check=lambda ws, ctx: (
            None if ws.quality_history["shape"].tolist() == ["readme", "schema", "snapshot"] else 1 / 0
        ),
    ),
    Case(
        "quality-boolean-as-text",
        WARNING,
        'unit_pass: "passed" (as the platform writes it) is read as true, warned.',
        with_files(
            {
                "analysis/historical/quality/quality_20251001_000000.json": snapshot(
                    {"a": snap_service(80, unit_pass="passed")}
                )
            }
        ),
        file=QUALITY,
        field="services.a.metrics.unit_pass",
        found="boolean written as text 'passed'; read as true",
        rows={"quality_history": 1},
    ),
    Case(
        "quality-services-null",
        WARNING,
        "A snapshot with `services: null` is skipped, named.",
        with_files({"analysis/historical/quality/quality_20251001_000000.json": snapshot(None)}),
        file=QUALITY,
        field="services",
        found="expected a mapping of service to scores, found None; skipped",
        rows={"quality_history": 0},
    ),
    # --- OSV advisories -------------------------------------------------------------------------
    Case(
        "osv-inverted-range",
        WARNING,
        "introduced 3.0.0, fixed 2.0.0: kept as written, matches nothing, warned.",
        with_files(
            {
                "advisories/GHSA_corpus.json": osv(
                    {"type": "SEMVER", "events": [{"introduced": "3.0.0"}, {"fixed": "2.0.0"}]}
                )
            }
        ),
        file="advisories/GHSA_corpus.json",
        field="affected[0].ranges[0]",
        found="inverted range 3.0.0 .. 2.0.0; matches nothing",
        rows={"advisories": 1},
        check=_range_matches("2.5.0", False),
    ),
    Case(
        "osv-unknown-range-type",
        WARNING,
        "A GIT range cannot be compared with versions: skipped, the SEMVER range is kept.",
        with_files(
            {
                "advisories/GHSA_corpus.json": osv(
                    {"type": "GIT", "repo": "https://x", "events": [{"introduced": "abc123"}]},
                    {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "7.2.0"}]},
                )
            }
        ),
        file="advisories/GHSA_corpus.json",
        field="affected[0].ranges[0].type",
        found="range type 'GIT' not supported; skipped",
        rows={"advisories": 1},
        check=_osv_intervals((("0", "7.2.0", ""),)),
    ),
    Case(
        "osv-last-affected",
        LOADED,
        "last_affected is an inclusive upper bound: 7.0.4 is affected, 7.0.5 is not. Legitimate OSV: no warning.",
        with_files(
            {
                "advisories/GHSA_corpus.json": osv(
                    {"type": "ECOSYSTEM", "events": [{"introduced": "7.0.0"}, {"last_affected": "7.0.4"}]}
                )
            }
        ),
        file="advisories/GHSA_corpus.json",
        rows={"advisories": 1},
        check=_all(
            _osv_intervals((("7.0.0", "", "7.0.4"),)), _range_matches("7.0.4", True), _range_matches("7.0.5", False)
        ),
    ),
    Case(
        "osv-ranges-not-a-list",
        WARNING,
        "`ranges` as a single mapping: named, not silently iterated as keys.",
        with_files(
            {
                "advisories/GHSA_corpus.json": lambda ctx: {
                    **osv(),
                    "affected": [{"package": {"name": "redis"}, "ranges": {"type": "SEMVER", "events": []}}],
                }
            }
        ),
        file="advisories/GHSA_corpus.json",
        field="affected[0].ranges",
        found="expected a list of ranges, found dict",
        rows={"advisories": 1},
    ),
    Case(
        "osv-events-not-a-list",
        WARNING,
        "`events` as a string: named.",
        with_files({"advisories/GHSA_corpus.json": osv({"type": "SEMVER", "events": "introduced 0"})}),
        file="advisories/GHSA_corpus.json",
        field="affected[0].ranges[0].events",
        found="expected a list of events, found 'introduced 0'",
        rows={"advisories": 1},
    ),
    Case(
        "osv-without-id",
        WARNING,
        "A record without an id cannot be cited: skipped.",
        with_files(
            {
                "advisories/a.json": {"summary": "no id", "affected": []},
                "advisories/b.json": osv({"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "7.2.0"}]}),
            }
        ),
        file="advisories/a.json",
        field="id",
        found="expected an OSV record with an `id`; skipped",
        rows={"advisories": 1},
    ),
    Case(
        "osv-severity-not-a-list",
        WARNING,
        "`severity: 9.8` instead of a list of CVSS entries (found by the fuzz test: it crashed): ignored, "
        "the record still loads with database_specific.severity.",
        with_files({"advisories/GHSA_corpus.json": lambda ctx: {**osv(), "severity": 9.8}}),
        file="advisories/GHSA_corpus.json",
        field="severity",
        found="expected a list of {type, score}, found 9.8; ignored",
        rows={"advisories": 1},
        check=_value_at("advisories", 0, "severity", "high"),
    ),
    Case(
        "osv-aliases-as-string",
        WARNING,
        "`aliases: CVE-2025-1` as one string (found by the fuzz test: it was split into letters): one alias.",
        with_files({"advisories/GHSA_corpus.json": lambda ctx: {**osv(), "aliases": "CVE-2025-1"}}),
        file="advisories/GHSA_corpus.json",
        field="aliases",
        found="expected a list, found a single string; read as a one-item list",
        rows={"advisories": 1},
        check=_value_at("advisories", 0, "aliases", "CVE-2025-1"),
    ),
    # --- lock files -------------------------------------------------------------------------------
    Case(
        "lock-not-json",
        WARNING,
        "A lock file that is YAML, not JSON: unusable, named with line and column; other locks load.",
        with_files(
            {
                "manifests/collected/a.specs.lock.json": "version: 1.0\ndependencies: {}\n",
                "manifests/collected/b.specs.lock.json": GOOD_LOCK,
            }
        ),
        file=LOCK,
        field="line 1, column 1",
        found="unusable: expected valid JSON, found Expecting value",
        rows={"lockfiles": 1},
    ),
    Case(
        "lock-top-level-list",
        WARNING,
        "A lock file that is a JSON list.",
        with_files({"manifests/collected/a.specs.lock.json": [{"g": "1.0.0"}]}),
        file=LOCK,
        field="dependencies",
        found="expected {version, dependencies: {spec: {version, ...}}}; lock ignored",
        rows={"lockfiles": 0},
    ),
    Case(
        "lock-version-number",
        WARNING,
        "A lock pinning version 1.1 as a JSON number: read as text '1.1', warned.",
        with_files(
            {"manifests/collected/a.specs.lock.json": {"version": "1.0", "dependencies": {"g": {"version": 1.1}}}}
        ),
        file=LOCK,
        field="dependencies.g.version",
        found="number 1.1 read as text",
        rows={"lockfiles": 1},
    ),
    # --- caches and pickles -------------------------------------------------------------------------
    Case(
        "cache-pickles-ignored",
        LOADED,
        "The platform's cache folder holds pickles whose loading would run code: they are never read "
        "(the marker proves it) and the inputs table says so.",
        with_files(
            {
                "cache_fallback/catalog.cache": _pickle,
                "cache_fallback/drift_state.cache": _pickle,
                "analysis/cache/quality_scores.cache": _pickle,
            }
        ),
        file="cache_fallback/catalog.cache",
        rows={"services": 2},
        check=_caches_ignored(3),
    ),
    Case(
        "pickle-named-like-a-snapshot",
        WARNING,
        "Pickle bytes saved as latest_quality_snapshot.json: not UTF-8 JSON, refused, never unpickled.",
        with_files({"catalog/latest_quality_snapshot.json": _pickle}),
        file="catalog/latest_quality_snapshot.json",
        field="",
        found="unusable: expected UTF-8 text, found byte 0x80 at offset 0",
        rows={"services": 2, "quality_history": 0},
    ),
    # --- links, unreadable files, missing files -----------------------------------------------------
    Case(
        "link-optional-outside",
        WARNING,
        "A link leaving the workspace is never followed.",
        with_files({"config/events-registry.yaml": Link("{outside}/registry.yaml")}),
        file="config/events-registry.yaml",
        field="",
        found="a link pointing outside the workspace; not read",
        rows={"services": 2},
    ),
    Case(
        "link-catalog-outside",
        ERROR,
        "A catalog that is a link to a file outside the workspace is refused.",
        lambda ctx: {CATALOG: Link("{outside}/catalog.yaml")},
        file=CATALOG,
        field="",
        expected="a file inside the workspace",
        found="a link to",
    ),
    Case(
        "link-folder-outside",
        WARNING,
        "advisories/ is a link to a folder outside: none of its files is read.",
        with_files({"advisories": Link("{outside}")}),
        file="advisories/GHSA-outside.json",
        field="",
        found="a link pointing outside the workspace; not read",
        rows={"services": 2, "advisories": 0},
    ),
    Case(
        "link-to-dev-zero",
        WARNING,
        "A link to /dev/zero (an endless file) is outside the workspace: refused without reading.",
        with_files({"config/thresholds.yaml": Link("/dev/zero")}),
        file="config/thresholds.yaml",
        field="",
        found="a link pointing outside the workspace; not read",
        rows={"services": 2},
    ),
    Case(
        "link-loop",
        WARNING,
        "A link to itself: named (not silently treated as absent).",
        with_files({"config/rules.yaml": Link("{root}/config/rules.yaml")}),
        file="config/rules.yaml",
        field="",
        found="not a regular file",
        rows={"services": 2},
    ),
    Case(
        "link-inside",
        LOADED,
        "A link to another file inside the workspace is fine.",
        with_files(
            {
                "config/teams.yaml": Link("{root}/config/real-teams.yaml"),
                "config/real-teams.yaml": {"teams": {"edge": {"services": ["a"]}}},
            }
        ),
        file="config/teams.yaml",
        rows={"services": 2},
        check=_value("services", "a", "team", "edge"),
    ),
    Case(
        "unreadable-chmod-000",
        WARNING,
        "An optional file without read permission: named, the rest loads.",
        with_files({"config/rules.yaml": {"dependency": {}}}),
        file="config/rules.yaml",
        field="",
        found="unusable: expected a readable file, found permission denied",
        rows={"services": 2},
        setup=_chmod_000("config/rules.yaml"),
        skip_as_root="root reads files whatever their mode; the folder-named-like-a-file and named-pipe cases "
        "cover unreadable inputs when running as root",
    ),
    Case(
        "unreadable-catalog-chmod-000",
        ERROR,
        "A catalog without read permission.",
        two,
        file=CATALOG,
        field="",
        expected="a readable file",
        found="permission denied",
        setup=_chmod_000(CATALOG),
        skip_as_root="root reads files whatever their mode; catalog-is-a-folder and catalog-is-a-named-pipe cover "
        "unreadable catalogs when running as root",
    ),
    Case(
        "optional-file-is-a-folder",
        WARNING,
        "config/rules.yaml is a folder: named, not silently treated as absent.",
        with_files({"config/rules.yaml": Folder()}),
        file="config/rules.yaml",
        field="",
        found="not a regular file (a folder); not read",
        rows={"services": 2},
    ),
    Case(
        "optional-file-is-a-named-pipe",
        WARNING,
        "A named pipe would block a reader forever: refused without opening it.",
        with_files({"config/thresholds.yaml": Fifo()}),
        file="config/thresholds.yaml",
        field="",
        found="not a regular file (a named pipe); not read",
        rows={"services": 2},
    ),
    Case(
        "catalog-is-a-folder",
        ERROR,
        "A folder where the catalog should be.",
        lambda ctx: {CATALOG: Folder()},
        file=CATALOG,
        field="",
        expected="a regular file",
        found="a folder",
    ),
    Case(
        "catalog-is-a-named-pipe",
        ERROR,
        "A named pipe as the catalog: refused at once instead of hanging.",
        lambda ctx: {CATALOG: Fifo()},
        file=CATALOG,
        field="",
        expected="a regular file",
        found="a named pipe",
    ),
    Case(
        "missing-catalog",
        ERROR,
        "No catalog at all; the message names both accepted files.",
        lambda ctx: {"config/rules.yaml": {"dependency": {}}},
        file="",
        field="catalog/service-index.yaml",
        expected="a service catalog (catalog/service-index.yaml or catalog/service-index.json)",
        found="none",
    ),
    Case(
        "catalog-json-not-json",
        ERROR,
        "Only the JSON catalog, and it is not JSON.",
        lambda ctx: {"catalog/service-index.json": '{"services": [{"name": "a",}]}'},
        file="catalog/service-index.json",
        field="line 1, column 28",
        expected="valid JSON",
        found="Expecting property name enclosed in double quotes",
    ),
    Case(
        "teams-wrong-type",
        WARNING,
        "teams.yaml whose `teams` is a string: unusable, teams derived from repository names.",
        with_files({"config/teams.yaml": {"teams": "everyone"}}),
        file="config/teams.yaml",
        field="teams",
        found="expected a mapping of team name to {services, contact, slack}, found 'everyone'",
        rows={"services": 2, "teams": 2},
    ),
    Case(
        "exemption-expiry-garbage",
        WARNING,
        "An exemption whose expiry cannot be read is not applied (judgement: an undatable exemption must "
        "not silence an issue forever).",
        with_files(
            {
                "config/rules.yaml": {
                    "drift": {
                        "exemptions": [
                            {"service": "a", "spec": "g", "reason": "r", "expires": "soon"},
                            {"service": "b", "spec": "g", "reason": "r", "expires": "2026-01-31"},
                        ]
                    }
                }
            }
        ),
        file="config/rules.yaml",
        field="drift.exemptions[0].expires",
        found="expected a date, found 'soon'; exemption not applied",
        rows={"exemptions": 1},
    ),
    Case(
        "spec-registry-list",
        WARNING,
        "A spec registry that is a list: unusable, spec checks not assessed.",
        with_files({"config/specs-index.json": ["g", "h"]}),
        file="config/specs-index.json",
        field="",
        found="expected a mapping of spec name to {latest_version | versions}",
        rows={"spec_versions": 0},
    ),
    # --- extreme values (issue 18: beyond int64, far-future dates, file names that are not UTF-8) -------
    _pin_case(
        "pin-part-beyond-int64",
        "9223372036854775808.0.0",
        WARNING,
        "'g@9223372036854775808.0.0': a version part is beyond int64 (2^63 or more); kept as text",
        _contract("9223372036854775808.0.0", True, None),
        "A version part of 2^63 fits no Int64 column: the pin keeps its text (and compares as a version), its "
        "major/minor/patch are NA, and validate, drift, plan and impact run (they exited 3).",
    ),
    _registry_case(
        "registry-latest-30-digits",
        {"latest_version": 123456789012345678901234567890},
        WARNING,
        "g.latest_version",
        "'123456789012345678901234567890': a version part is beyond int64 (2^63 or more); kept as text",
        2,
        _registry([["g", "123456789012345678901234567890", "", True], ["h", "2.0.0", "", True]]),
        "An unquoted 30-digit latest_version: kept as its text, parts NA, warned; drift exits 0 or 1.",
    ),
    Case(
        "catalog-generated-at-9999-nanoseconds",
        LOADED,
        "A catalog generated in year 9999 with nanoseconds (beyond pandas' nanosecond range): read at "
        "microsecond precision, no crash and no warning (it is a representable time).",
        lambda ctx: {CATALOG: catalog(entry("a"), generated_at="9999-12-31T23:59:59.123456789Z")},
        file=CATALOG,
        rows={"services": 1},
        check=lambda ws, ctx: _check_time(ws.generated_at, "9999-12-31T23:59:59.123456+00:00"),
    ),
    Case(
        "catalog-generated-at-beyond-9999",
        WARNING,
        "A generated_at that is year 10000 in UTC cannot be shown by any report: warned with its value, "
        "and the analysis date falls back as for an unreadable one.",
        lambda ctx: {CATALOG: catalog(entry("a"), generated_at="9999-12-31T23:00:00-05:00")},
        file=CATALOG,
        field="metadata.generated_at",
        found="'9999-12-31T23:00:00-05:00'",
        rows={"services": 1},
    ),
    Case(
        "quality-snapshot-dated-9999",
        LOADED,
        "A quality snapshot dated 9999-12-31: a valid (microsecond) time; it loads like any other.",
        with_files({QUALITY: snapshot({"a": snap_service(80), "b": snap_service(90)}, "9999-12-31T05:21:55Z")}),
        file=QUALITY,
        rows={"quality_history": 2},
        check=lambda ws, ctx: _check_time(ws.quality_history["snapshot_time"].iloc[0], "9999-12-31T05:21:55+00:00"),
    ),
    Case(
        "quality-snapshot-beyond-9999",
        WARNING,
        "A snapshot time past 9999 (UTC) is warned with file, field and value; the file name's time is used.",
        with_files({QUALITY: snapshot({"a": snap_service(80), "b": snap_service(90)}, "10000-01-01T00:00:00Z")}),
        file=QUALITY,
        field="metadata.generated_at",
        found="'10000-01-01T00:00:00Z' is outside the times meta254 represents",
        rows={"quality_history": 2},
        check=lambda ws, ctx: _check_time(ws.quality_history["snapshot_time"].iloc[0], "2025-10-01T00:00:00+00:00"),
    ),
    Case(
        "advisory-file-name-not-utf8",
        WARNING,
        "A file name with a byte that is not UTF-8 (x\\xff.json) is named with the byte escaped and not read; "
        "the rest loads (the cache key crashed on it).",
        with_files({"advisories/x\udcff.json": osv(), ADVISORY: osv()}),
        file="advisories/x\\xff.json",
        field="",
        found="the file name is not valid UTF-8; not read",
        rows={"services": 2, "advisories": 1},
    ),
]


def _check_time(got: Any, expected: str) -> None:
    import pandas as pd

    assert isinstance(got, pd.Timestamp) and got.isoformat() == expected, got


def materialise(case: Case, tmp: Path) -> Ctx:
    """Write ``case`` under ``tmp`` and return its context (the workspace is ``tmp / "ws"``)."""
    ctx = Ctx(root=tmp / "ws", outside=tmp / "outside", marker=tmp / "PWNED")
    ctx.root.mkdir(parents=True, exist_ok=True)
    ctx.outside.mkdir(parents=True, exist_ok=True)
    # targets for links leaving the workspace: real, readable files, so only the link rule can refuse them
    (ctx.outside / "registry.yaml").write_text("events: [x.y.z.v1]\n", encoding="utf-8")
    (ctx.outside / "catalog.yaml").write_text("services: [{name: a}]\n", encoding="utf-8")
    (ctx.outside / "GHSA-outside.json").write_text(json.dumps(osv()), encoding="utf-8")
    for rel, content in case.files(ctx).items():
        path = ctx.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Link):
            os.symlink(content.target.format(outside=ctx.outside, root=ctx.root), path)
        elif isinstance(content, Fifo):
            os.mkfifo(path)
        elif isinstance(content, Folder):
            path.mkdir()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        elif rel.endswith((".yaml", ".yml")):
            path.write_text(yaml.dump(content, Dumper=_DUMPER, sort_keys=False, allow_unicode=True), encoding="utf-8")
        else:
            path.write_text(json.dumps(content, indent=1), encoding="utf-8")
    if case.setup is not None:
        case.setup(ctx)
    return ctx

"""A hostile workspace: every string a report or a Markdown file shows is an injection attempt.

:func:`build_hostile_workspace` writes a small, loadable workspace whose service, spec, team, contact,
event and drift texts carry HTML (``<script>``, ``<img onerror>``), Markdown (``|``, ``*``, backticks,
``[x](javascript:...)``, headings) and both. The workspace has real drift (a spec two majors behind, a
stale service, an unregistered event) so that every page, table and plan checklist has rows made of
these strings. Tests assert that no raw hostile string survives in HTML or Markdown output.

Examples
--------
>>> import tempfile, pathlib
>>> root = build_hostile_workspace(pathlib.Path(tempfile.mkdtemp()) / "ws")
>>> import meta254lib as m
>>> ws = m.open_workspace(root)
>>> HOSTILE_SERVICE in set(ws.services["service"]), len(ws.services)
(True, 3)
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from .cases import entry

__all__ = [
    "HOSTILE_CONTACT",
    "HOSTILE_EVENT",
    "HOSTILE_SERVICE",
    "HOSTILE_SPEC",
    "HOSTILE_STRINGS",
    "HOSTILE_TEAM",
    "HOSTILE_TEXT",
    "build_hostile_workspace",
]

#: A service name that is a script tag.
HOSTILE_SERVICE = "<script>alert(1)</script>"
#: A spec name mixing an HTML tag with a Markdown table pipe.
HOSTILE_SPEC = "<b>core</b>|api"
#: A team name that is Markdown emphasis, code and a pipe.
HOSTILE_TEAM = "*team*|`rm -rf`"
#: A contact that is a javascript: link.
HOSTILE_CONTACT = "[mail us](javascript:alert(3))"
#: An event id with an image tag that runs code on error.
HOSTILE_EVENT = "x.<img src=x onerror=alert(2)>.v1"
#: Free text with every Markdown and HTML construct that could break out of a cell or a paragraph.
HOSTILE_TEXT = "a | b *bold* _u_ `code` [click](javascript:alert(4)) <img src=x onerror=alert(5)> # heading"

#: The strings that must never appear verbatim in rendered HTML or Markdown.
HOSTILE_STRINGS = (HOSTILE_SERVICE, HOSTILE_SPEC, HOSTILE_TEAM, HOSTILE_CONTACT, HOSTILE_EVENT, HOSTILE_TEXT)

GENERATED_AT = "2025-10-10T00:00:00+00:00"


def build_hostile_workspace(root: Path) -> Path:
    """Write the hostile workspace at ``root`` (created) and return ``root``."""
    catalog = {
        "metadata": {"generated_at": GENERATED_AT, "description": HOSTILE_TEXT},
        "services": [
            entry(
                HOSTILE_SERVICE,
                api_contracts=[f"{HOSTILE_SPEC}@1.0.0"],
                events_in=[HOSTILE_EVENT],
                dependencies={"internal": ["core-api"], "external": ["redis@7.0.0"]},
                quality={"coverage": 0.41, "lint_pass": False, "open_critical_vulns": 2},
            ),
            entry("core-api", api_contracts=[f"{HOSTILE_SPEC}@2.0.0"], events_out=["core.ready.v1"]),
            entry(
                "stale-worker",
                last_update="2024-01-01T00:00:00+00:00",
                dependencies={"internal": [HOSTILE_SERVICE], "external": ["redis@7.0.0"]},
            ),
        ],
    }
    specs = {
        HOSTILE_SPEC: {
            "description": HOSTILE_TEXT,
            "versions": [
                {"version": "1.0.0", "release_date": "2025-01-01", "changes": ["feature"]},
                {"version": "2.0.0", "release_date": "2025-06-01", "changes": ["breaking"]},
                {"version": "3.0.0", "release_date": "2025-09-01", "changes": ["breaking", "security"]},
            ],
        }
    }
    teams = {
        "teams": {
            HOSTILE_TEAM: {"services": [HOSTILE_SERVICE, "stale-worker"], "contact": HOSTILE_CONTACT},
            "core": {"services": ["core-api"], "contact": "core@example.com"},
        },
        "escalation": {"L2": {"name": HOSTILE_TEXT, "contact": HOSTILE_CONTACT}},
    }
    advisory = {
        "id": "GHSA-<i>x</i>-0001",
        "summary": HOSTILE_TEXT,
        "affected": [
            {
                "package": {"name": "redis"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "7.2.0"}]}],
            }
        ],
        "database_specific": {"severity": "HIGH"},
    }
    drift = {
        "metadata": {"generated_at": "2025-10-03T00:00:00Z"},
        "issues": [
            {"type": "version_staleness", "severity": "high", "service": "stale-worker", "description": HOSTILE_TEXT},
            {"type": "unknown_event", "severity": "low", "service": HOSTILE_SERVICE, "current_value": HOSTILE_EVENT},
        ],
    }
    quality = {
        "metadata": {"generated_at": "2025-10-03T00:00:00Z"},
        "services": {
            HOSTILE_SERVICE: {"score": 55, "grade": "<b>F</b>", "status": HOSTILE_TEXT, "metrics": {"coverage": 0.41}},
            "core-api": {"score": 91, "grade": "A", "status": "passing", "metrics": {"coverage": 0.9}},
        },
    }
    files: dict[str, object] = {
        "catalog/service-index.yaml": catalog,
        "config/specs-index.json": specs,
        "config/teams.yaml": teams,
        "config/events-registry.yaml": {"events": ["core.ready.v1"]},
        "advisories/GHSA-hostile.json": advisory,
        "analysis/reports/drift/20251003_000000_drift_report.json": drift,
        "analysis/historical/quality/quality_20251003_000000.json": quality,
    }
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith(".yaml"):
            path.write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True), encoding="utf-8")
        else:
            path.write_text(json.dumps(content, indent=1, ensure_ascii=False), encoding="utf-8")
    return root

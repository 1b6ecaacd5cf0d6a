"""Shared fixtures: the real upstream artifacts, and tiny workspaces written from inline literals."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from corpus.cases import entry as svc  # noqa: F401 - the tests import their one catalog-entry builder from here
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parents[1]
UPSTREAM = REPO.parent / "shared" / "upstream"
SAMPLE = REPO / "data" / "sample"

# keep every Jupyter/IPython state out of $HOME, whatever runs the tests
for _var, _sub in (
    ("JUPYTER_CONFIG_DIR", "config"),
    ("JUPYTER_DATA_DIR", "data"),
    ("JUPYTER_RUNTIME_DIR", "runtime"),
    ("IPYTHONDIR", "ipython"),
    ("MPLCONFIGDIR", "mpl"),
):
    os.environ.setdefault(_var, str(REPO / ".jupyter" / _sub))


# The warm-load cache defaults to the user cache folder: keep the tests' caches out of $HOME.
os.environ.setdefault("XDG_CACHE_HOME", str(REPO / ".pytest-cache-home"))

# Property tests: deterministic everywhere but `make fuzz`. "ci" (also the default for `make test`)
# derandomizes every property and keeps no example database, so a run is reproducible; "fuzz" explores
# at random with ten times the examples (META254_FUZZ_EXAMPLES scales tests/test_fuzz.py too). Pin every
# failing example a fuzz run finds with @example or add it to tests/corpus.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile(
    "fuzz", derandomize=False, max_examples=1000, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile(os.environ.get("META254_HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def upstream() -> Path:
    """The real platform artifacts in ../shared/upstream (skips when absent)."""
    if not (UPSTREAM / "catalog" / "service-index.yaml").is_file():
        pytest.skip(f"real upstream artifacts not found at {UPSTREAM}")
    return UPSTREAM


@pytest.fixture(scope="session")
def sample() -> Path:
    """The bundled sample workspace data/sample (skips when not generated yet)."""
    if not (SAMPLE / "catalog" / "service-index.yaml").is_file():
        pytest.skip("data/sample has not been generated")
    return SAMPLE


def write_workspace(root: Path, files: dict[str, object]) -> Path:
    """Write a workspace from ``{relative path: content}``.

    Strings are written as dedented text, bytes as bytes, dicts/lists as YAML (``.yaml``) or JSON.
    """
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(textwrap.dedent(content), encoding="utf-8")
        elif rel.endswith((".yaml", ".yml")):
            path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
        else:
            path.write_text(json.dumps(content, indent=1), encoding="utf-8")
    return root


@pytest.fixture
def make_ws(tmp_path: Path) -> Callable[..., Path]:
    """Build a tiny workspace: ``make_ws(services=[svc("a")], files={...})`` → its folder."""

    def build(services: list[dict] | None = None, files: dict[str, object] | None = None, **meta: object) -> Path:
        content: dict[str, object] = dict(files or {})
        if services is not None:
            content.setdefault(
                "catalog/service-index.yaml",
                {"metadata": {"generated_at": "2025-10-10T00:00:00+00:00", **meta}, "services": services},
            )
        return write_workspace(tmp_path / "ws", content)

    return build


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Print the counts tests recorded with ``record_property("summary", text)`` (corpus size, fuzz examples).

    They appear at the end of every run, ``make test`` included, without ``-s``.
    """
    lines = []
    corpus: dict[str, int] = {}
    for outcome in ("passed", "failed", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            lines.extend(v for k, v in getattr(report, "user_properties", ()) if k == "summary")
            if "test_corpus.py::test_case[" in getattr(report, "nodeid", "") and report.when in ("setup", "call"):
                corpus[outcome] = corpus.get(outcome, 0) + 1
    if corpus:
        lines.append(
            f"bad-input corpus run: {sum(corpus.values())} cases, "
            + ", ".join(f"{n} {k}" for k, n in sorted(corpus.items()))
        )
    if lines:
        terminalreporter.write_sep("-", "hardening summary")
        for line in sorted(lines):
            terminalreporter.write_line(line)

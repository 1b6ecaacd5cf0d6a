"""Hardening behaviour: nothing executed, no traceback from any command, atomic writes, safe text.

- the library never contains ``eval(``, pickle, an unsafe ``yaml.load(`` or ``shell=True``;
- every CLI command, run on the bad-input corpus, answers with a message and an exit code (2 for an
  unusable workspace, never 3) and no traceback; ``--debug`` shows the traceback;
- output files are written atomically, and a drift report archive is never overwritten with different
  content;
- strings from inputs are escaped in HTML and Markdown (:func:`meta254lib.md_escape`,
  :func:`meta254lib.html_escape`, ``meta254 plan --format markdown``) on the hostile workspace of
  ``tests/corpus/hostile.py``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from corpus.cases import CASES, ERROR, Case, materialise
from corpus.hostile import (
    HOSTILE_CONTACT,
    HOSTILE_EVENT,
    HOSTILE_SERVICE,
    HOSTILE_SPEC,
    HOSTILE_STRINGS,
    HOSTILE_TEAM,
    HOSTILE_TEXT,
    build_hostile_workspace,
)

import meta254lib as m
from meta254lib.cli import main
from meta254lib.core import atomic

LIB = Path(m.__file__).resolve().parent
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

# --- nothing in the library can execute input ------------------------------------------------------

#: What must never appear in meta254lib/ (the issue's grep), with what is allowed on the same line.
FORBIDDEN = (
    (re.compile(r"eval\("), "eval( (input is never evaluated, not even by ast.literal_eval: loaders read ast nodes)"),
    (re.compile(r"pickle", re.IGNORECASE), "pickle (unpickling runs code)"),
    (re.compile(r"\bexec\("), "exec("),
    (re.compile(r"shell\s*=\s*True"), "shell=True"),
    (re.compile(r"\b(?:marshal|shelve|dill|joblib)\b"), "another serialiser that runs code"),
    (re.compile(r"yaml\.(?:unsafe_load|full_load|UnsafeLoader|FullLoader|Loader\b)"), "an unsafe YAML loader"),
)
#: ``yaml.load(`` is allowed only with a safe loader named on the same line.
YAML_LOAD = re.compile(r"yaml\.load\(")


def _library_files() -> list[Path]:
    return sorted(p for p in LIB.rglob("*") if p.is_file() and p.suffix in (".py", ".j2", ".html", ".json", ".md"))


def test_no_eval_pickle_unsafe_yaml_or_shell_in_the_library() -> None:
    hits = []
    for path in _library_files():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for pattern, what in FORBIDDEN:
                if pattern.search(line):
                    hits.append(f"{path.relative_to(LIB.parent)}:{n}: {what}: {line.strip()[:100]}")
            if YAML_LOAD.search(line) and "SafeLoader" not in line:
                hits.append(f"{path.relative_to(LIB.parent)}:{n}: yaml.load( without a safe loader: {line.strip()}")
    assert not hits, "\n".join(hits)


def test_the_grep_would_catch_each_construct(tmp_path) -> None:
    """The patterns above are not vacuous: each one fires on its construct."""
    samples = {
        "eval(": "x = eval(text)",
        "pickle": "import pickle",
        "exec(": "exec(code)",
        "shell=True": "subprocess.run(cmd, shell=True)",
        "another serialiser": "import marshal",
        "an unsafe YAML loader": "yaml.load(s, Loader=yaml.Loader)",
    }
    for (pattern, what), (key, line) in zip(FORBIDDEN, samples.items(), strict=True):
        assert what.startswith(key) and pattern.search(line), (what, line)
    assert YAML_LOAD.search("yaml.load(text)") and "SafeLoader" not in "yaml.load(text)"
    assert FORBIDDEN[0][0].search("ast.literal_eval(node)")  # stricter than needed, like a plain grep


# --- no traceback from any command, on any corpus case ------------------------------------------------

#: Every analysis command with the arguments it needs on the corpus workspaces (services a and b).
COMMANDS: dict[str, list[str]] = {
    "validate": [],
    "drift": [],
    "impact": ["--service", "a"],
    "graph": [],
    "plan": [],
    "quality": [],
    "trends": [],
    "trains": [],
}
FORMATS = ("json", "csv", "table")
SWEEP = [c for c in CASES if not c.heavy and not (c.skip_as_root and AS_ROOT)]


def _assignments(index: int, case: Case) -> list[tuple[str, str]]:
    """Commands and formats a case runs: all of them for unusable workspaces (they fail fast), two
    rotating commands in a rotating format otherwise, so every command meets about 30 loadable cases
    while the sweep stays within its time budget."""
    names = list(COMMANDS)
    if case.outcome == ERROR:
        return [(name, "json") for name in names]
    picks = [names[index % len(names)], names[(index + 3) % len(names)]]
    return [(name, FORMATS[(index + k) % len(FORMATS)]) for k, name in enumerate(picks)]


@pytest.mark.parametrize("index,case", list(enumerate(SWEEP)), ids=[c.name for c in SWEEP])
def test_no_traceback_from_any_command(index: int, case: Case, tmp_path) -> None:
    ctx = materialise(case, tmp_path)
    runner = CliRunner()
    missing = [name for name, _ in _assignments(index, case) if name not in main.commands]
    for name, fmt in _assignments(index, case):
        if name not in main.commands:
            continue
        result = runner.invoke(main, [name, "--workspace", str(ctx.root), "--format", fmt, *COMMANDS[name]])
        where = f"{name} --format {fmt} on {case.name}: exit {result.exit_code}\n{result.output[-1500:]}"
        assert "Traceback" not in result.output, where
        assert result.exception is None or isinstance(result.exception, SystemExit), where
        assert result.exit_code != 3, where  # an internal error is a bug, even without a traceback
        if case.outcome == ERROR:
            assert result.exit_code == 2, where
            assert result.output.startswith("meta254: error: "), where
        else:
            assert result.exit_code in (0, 1, 2), where
            if result.exit_code == 2:
                assert "meta254: error: " in result.output, where
    assert not ctx.marker.exists(), "input was executed"
    if missing:
        pytest.skip(f"command(s) not registered yet: {', '.join(missing)}")


@pytest.mark.parametrize("name", [*COMMANDS, "report"])
def test_command_is_registered(name: str) -> None:
    if name not in main.commands:
        pytest.skip(f"meta254 {name} is not registered yet; the sweep skips it")
    assert main.commands[name].callback is not None


def test_debug_shows_the_traceback_of_an_input_error(tmp_path) -> None:
    (case,) = [c for c in CASES if c.name == "yaml-python-object-catalog"]
    ctx = materialise(case, tmp_path)
    quiet = CliRunner().invoke(main, ["validate", "-w", str(ctx.root)])
    loud = CliRunner().invoke(main, ["validate", "-w", str(ctx.root), "--debug"])
    group_flag = CliRunner().invoke(main, ["--debug", "drift", "-w", str(ctx.root)])
    for result in (quiet, loud, group_flag):
        assert result.exit_code == 2
        assert (
            "meta254: error: catalog/service-index.yaml: line 1, column 11: expected plain YAML data" in result.output
        )
    assert "Traceback" not in quiet.output
    assert "Traceback (most recent call last)" in loud.output and "InputError" in loud.output
    assert "Traceback (most recent call last)" in group_flag.output
    assert not ctx.marker.exists()


def test_internal_error_is_exit_3_one_line_and_traceback_only_with_debug(make_ws, monkeypatch) -> None:
    from conftest import svc

    root = make_ws([svc("a")])

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero in a bug")

    monkeypatch.setattr("meta254lib.workspace.validate.validate_workspace", broken)
    quiet = CliRunner().invoke(main, ["validate", "-w", str(root)])
    loud = CliRunner().invoke(main, ["validate", "-w", str(root), "--debug"])
    assert quiet.exit_code == loud.exit_code == 3
    assert quiet.output == (
        "meta254: internal error: ZeroDivisionError: division by zero in a bug (run with --debug for the traceback)\n"
    )
    assert "Traceback (most recent call last)" in loud.output and "def broken" not in quiet.output


# --- atomic writes and the drift archive ------------------------------------------------------------


def test_write_atomic_replaces_and_leaves_no_temporary_file(tmp_path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old\n")
    atomic.write_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_interrupted_atomic_write_keeps_the_old_file(tmp_path, monkeypatch) -> None:
    target = tmp_path / "out.json"
    target.write_text("old\n")

    def crash(src, dst):
        raise KeyboardInterrupt("killed between write and rename")

    monkeypatch.setattr(atomic.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_atomic(target, "half-written new content")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_write_new_never_replaces_a_file_or_follows_a_link(tmp_path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("precious\n")
    link = tmp_path / "report.json"
    link.symlink_to(outside)
    assert atomic.write_new(link, "attack") is False
    assert outside.read_text() == "precious\n" and link.is_symlink()
    assert atomic.write_new(tmp_path / "fresh.json", b"{}") is True
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.json", "outside.txt", "report.json"]


def test_drift_archive_is_never_overwritten_with_different_content(make_ws) -> None:
    from conftest import svc

    root = make_ws([svc("a", last_update="2024-01-01T00:00:00+00:00"), svc("b")])
    archive = root / "analysis/reports/drift/20251010_000000_drift_report.json"
    latest = root / "analysis/reports/drift/latest_drift_report.json"
    runner = CliRunner()
    first = runner.invoke(main, ["drift", "-w", str(root), "--as-of", "2025-10-10", "--write", "--format", "json"])
    assert first.exit_code == 0, first.output
    written = archive.read_bytes()
    assert latest.read_bytes() == written and b'"version_staleness"' in written
    again = runner.invoke(main, ["drift", "-w", str(root), "--as-of", "2025-10-10", "--write", "--format", "json"])
    assert again.exit_code == 0 and archive.read_bytes() == written  # same content: left alone
    archive.write_bytes(written.replace(b"version_staleness", b"hand-edited"))
    tampered = archive.read_bytes()
    third = runner.invoke(main, ["drift", "-w", str(root), "--as-of", "2025-10-10", "--write"])
    assert third.exit_code == 2, third.output
    assert "already exists with different content; refusing to overwrite it" in third.output
    assert "Traceback" not in third.output
    assert archive.read_bytes() == tampered
    leftovers = [p.name for p in archive.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


# --- safe rendering -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,escaped",
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ('"><img src=x onerror=alert(2)>', "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"),
        ("it's & co", "it&#x27;s &amp; co"),
        ("[x](javascript:alert(1))", "[x](javascript:alert(1))"),
    ],
)
def test_html_escape(raw: str, escaped: str) -> None:
    assert m.html_escape(raw) == escaped


@pytest.mark.parametrize(
    "raw,escaped",
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("a | b", r"a \| b"),
        ("*bold* _u_", r"\*bold\* \_u\_"),
        ("`code`", r"\`code\`"),
        ("[click](javascript:alert(4))", r"\[click\](javascript:alert(4))"),  # no link without live brackets
        ("# heading", r"\# heading"),
        ("line one\nline two", "line one line two"),
        ("a\\b", "a\\\\b"),
    ],
)
def test_md_escape(raw: str, escaped: str) -> None:
    assert m.md_escape(raw) == escaped


def test_md_escape_of_every_hostile_string_has_no_live_markup() -> None:
    for raw in HOSTILE_STRINGS:
        out = m.md_escape(raw)
        assert "<" not in out and ">" not in out, out
        assert re.search(r"(?<!\\)[|*_`\[\]]", out) is None, out


@pytest.fixture(scope="module")
def hostile_root(tmp_path_factory) -> Path:
    return build_hostile_workspace(tmp_path_factory.mktemp("hostile") / "ws")


def test_hostile_workspace_loads_with_its_strings_intact(hostile_root) -> None:
    ws = m.open_workspace(hostile_root)
    assert ws.services["service"].tolist() == [HOSTILE_SERVICE, "core-api", "stale-worker"]
    assert ws.services.set_index("service").loc[HOSTILE_SERVICE, "team"] == HOSTILE_TEAM
    assert set(ws.contracts["spec"]) == {HOSTILE_SPEC}
    assert HOSTILE_EVENT in set(ws.events["event"])
    assert HOSTILE_TEXT in set(ws.drift_history["description"])


def _live_markdown(text: str) -> list[str]:
    """Hostile constructs that are live (unescaped) in Markdown text."""
    problems = [s for s in HOSTILE_STRINGS if s in text]
    problems += re.findall(r"<(?:script|img|b|i)\b[^>]*>", text)
    problems += re.findall(r"(?<!\\)\]\(javascript:", text)
    return problems


def _split_fences(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Markdown prose, and the fenced code blocks as (language, body)."""
    prose, blocks, lang, body = [], [], None, []
    for line in text.splitlines():
        if line.startswith("```"):
            if lang is None:
                lang, body = line[3:].strip(), []
            else:
                blocks.append((lang, "\n".join(body)))
                lang = None
        elif lang is None:
            prose.append(line)
        else:
            body.append(line)
    assert lang is None, "a code fence is never closed (an input string broke out of it?)"
    return "\n".join(prose), blocks


def test_plan_markdown_escapes_every_input_string(hostile_root) -> None:
    if "plan" not in main.commands:
        pytest.skip("meta254 plan is not registered yet")
    result = CliRunner().invoke(main, ["plan", "-w", str(hostile_root), "--format", "markdown"])
    if result.exit_code == 2 and "markdown" in result.output:
        pytest.skip("meta254 plan has no --format markdown")
    assert result.exit_code == 0, result.output
    text = result.output
    prose, blocks = _split_fences(text)
    assert _live_markdown(prose) == []
    # inside code fences text is literal; shell commands must quote every input-derived word
    shell = "\n".join(body for lang, body in blocks if lang in ("bash", "sh", "shell"))
    assert HOSTILE_SERVICE in shell  # the rollback and check commands name the service...
    assert HOSTILE_SERVICE not in shell.replace(shlex.quote(HOSTILE_SERVICE), "")  # ...always quoted
    assert f"## {m.md_escape(HOSTILE_SERVICE)} (team {m.md_escape(HOSTILE_TEAM)})" in text
    assert m.md_escape(HOSTILE_CONTACT) in text
    assert m.md_escape(HOSTILE_SPEC) in text
    assert text.count("- [ ] ") >= 10  # the checklist is there, made of hostile strings


def test_cli_tables_keep_hostile_strings_as_data(hostile_root) -> None:
    """JSON and CSV are data, not markup: the strings come back exactly (escaping is the renderer's job)."""
    result = CliRunner().invoke(main, ["drift", "-w", str(hostile_root), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert HOSTILE_SERVICE in result.output and HOSTILE_SPEC in result.output


# --- the README's error model ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case_name",
    ["yaml-tabs", "services-as-string", "yaml-python-object-catalog", "yaml-latin1-catalog", "catalog-is-a-named-pipe"],
)
def test_readme_error_examples_are_what_the_cli_prints(case_name: str, tmp_path) -> None:
    readme = (LIB.parent / "docs" / "errors.md").read_text(encoding="utf-8")
    section = readme.split("<!-- section:errors -->")[1].split("<!-- /section:errors -->")[0]
    (case,) = [c for c in CASES if c.name == case_name]
    ctx = materialise(case, tmp_path)
    result = CliRunner().invoke(main, ["validate", "-w", str(ctx.root)])
    assert result.exit_code == 2
    assert result.output.strip() in section.splitlines(), result.output
    for code in ("| 0 | ok |", "| 1 | findings, or a report page failed |", "| 2 | unusable input or options |"):
        assert code in section
    assert "| 3 | internal error (a bug) |" in section


# --- a report on a broken workspace -------------------------------------------------------------------


def test_report_on_a_broken_workspace_renders_says_what_it_could_not_judge_and_exits_1(tmp_path) -> None:
    """Catalog fine, three optional files broken: the page renders, summary.md and the index name the
    files, latest moves (the pages are valid), and the command exits 1 with a one-line reason."""
    if "report" not in main.commands:
        pytest.skip("meta254 report is not registered yet")
    from corpus.cases import catalog, entry

    cli = Path(sys.executable).parent / "meta254"
    if not cli.exists():
        pytest.skip(f"the meta254 entry point is not installed next to {sys.executable}")
    root = tmp_path / "ws"
    broken = {
        "config/rules.yaml": "dependency:\n\tdomain_layers: {}\n",
        "analysis/reports/drift/20251009_000000_drift_report.json": '{"metadata": {"generated_at": "2025-10-09"}, "iss',
        "analysis/historical/quality/quality_20251001_000000.json": b"\x80\x02cposix\nsystem\nq\x00.",
    }
    good = {"catalog/service-index.json": json.dumps(catalog(entry("a"), entry("b", team="edge")))}
    for rel, content in {**good, **broken}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    out = tmp_path / "reports"
    nbs = tmp_path / "notebooks"  # a one-page report: an --only run would be partial and leave latest alone
    nbs.mkdir()
    shutil.copy(LIB.parent / "notebooks" / "workspace_overview.ipynb", nbs)
    proc = subprocess.run(
        [str(cli), "report", "-w", str(root), "--out", str(out), "--notebooks", str(nbs), "-q"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("meta254: error: report 2025-W41: 1 page ok in ")
    assert ", but 3 input file(s) could not be used and what they hold was not judged: " in line
    for rel in broken:
        assert rel in line
    folder = out / "2025-W41"
    assert proc.stdout.strip().endswith("index.html")
    assert (folder / "workspace_overview.html").is_file()
    assert os.readlink(out / "latest") == "2025-W41"
    summary = (folder / "summary.md").read_text()
    assert "All 1 pages rendered." in summary
    assert "**3 input files could not be used**, so what they hold was not judged" in summary
    assert m.md_escape("analysis/historical/quality/quality_20251001_000000.json") in summary
    index = (folder / "index.html").read_text()
    assert "unusable: expected valid YAML, found a tab character" in index
    assert "unusable: expected UTF-8 text, found byte 0x80 at offset 0" in index


@pytest.mark.slow
def test_report_pages_and_summary_escape_the_hostile_workspace(hostile_root, tmp_path) -> None:
    """Every report page and summary.md, on the hostile workspace: strings show as text, never as markup.

    (The browser test of the report checks the rendered DOM; this checks the files for every hostile
    construct of tests/corpus/hostile.py, including inside the JSON of figures and tables.)
    """
    if "report" not in main.commands:
        pytest.skip("meta254 report is not registered yet")
    cli = Path(sys.executable).parent / "meta254"
    if not cli.exists():
        pytest.skip(f"the meta254 entry point is not installed next to {sys.executable}")
    out = tmp_path / "reports"
    proc = subprocess.run(
        [str(cli), "report", "-w", str(hostile_root), "--out", str(out), "-q"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    (folder,) = [p for p in out.iterdir() if p.is_dir() and p.name.startswith("2025-W41")]
    pages = sorted(folder.glob("*.html"))
    assert len(pages) >= 2
    live = re.compile(
        r"<script>alert\(|<script>alert\(1\)<\\/script>|<img src=x onerror|<b>core</b>|<i>x</i>"
        r"|href\s*=\s*[\"']?\s*javascript:",
        re.IGNORECASE,
    )
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert live.search(html) is None, (page.name, live.search(html))
    overview = (folder / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in overview + "".join(p.read_text() for p in pages)
    summary = (folder / "summary.md").read_text(encoding="utf-8")
    assert _live_markdown(summary) == []

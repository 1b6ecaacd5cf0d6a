"""Shared by the report tests: fixture notebooks, a tiny hostile workspace, report runs built once per
test session (notebook executions are the slow part of the suite), and :class:`OfflinePage`, a page
opened in chromium with the network blocked (the fixtures that open one are in conftest.py)."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conftest import SAMPLE, svc, write_workspace

from meta254lib.report.notebooks import default_notebooks_dir
from meta254lib.report.run import build_report
from meta254lib.report.run_model import ReportResult

FIXTURE_NOTEBOOKS = Path(__file__).resolve().parent / "report_notebooks"
XSS = "<script>alert(1)</script>"
#: Services in the tiny workspace: more than 20, so the service table is interactive.
TINY_SERVICES = 26

#: The browser the report tests drive (Debian's chromium), its flags and the reviewer's screen.
CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # belt and braces: even if a page tried, no name would resolve (OfflinePage also aborts every request)
    "--host-resolver-rules=MAP * ~NOTFOUND",
)
VIEWPORT = {"width": 1400, "height": 900}


class OfflinePage:
    """A page in a browser context of its own, loaded from a file with the network blocked.

    Every request other than ``file:`` is aborted and recorded in :attr:`outside`; console errors,
    uncaught exceptions and dialogs (dismissed) are recorded too. After the load it waits ``wait_ms``
    (plotly draws after ``load``; it is local, so this is quick).
    """

    def __init__(self, browser: Any, path: Path, *, viewport: Mapping[str, int] = VIEWPORT, wait_ms: int = 300):
        self.outside: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        self.context = browser.new_context(viewport=dict(viewport))
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.goto(path.as_uri(), wait_until="load")
        if wait_ms:
            self.page.wait_for_timeout(wait_ms)

    @property
    def errors(self) -> list[str]:
        """Console errors and uncaught exceptions together."""
        return self.console_errors + self.page_errors

    def _route(self, route: Any) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def close(self) -> None:
        self.context.close()


def _session_dir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, True)
    return path


def tiny_workspace(root: Path) -> Path:
    """26 services in 3 domains and 3 teams; one is named ``<script>alert(1)</script>``.

    The catalog's generated_at is 2025-10-10 (ISO week 2025-W41).
    """
    teams = ("access", "core", "data")
    domains = ("access", "shared", "data-processing")
    services = [
        svc(
            f"svc-{i:02d}",
            team=teams[i % 3],
            domain=domains[i % 3],
            runtime=("python", "go", "java", "nodejs")[i % 4],
            dependencies={"internal": [f"svc-{i - 1:02d}"] if i % 3 else [], "external": []},
        )
        for i in range(TINY_SERVICES - 1)
    ]
    services.append(
        svc(XSS, team="core", domain="shared", description=XSS, dependencies={"internal": ["svc-01"], "external": []})
    )
    catalog = {"metadata": {"generated_at": "2025-10-10T00:00:00+00:00"}, "services": services}
    return write_workspace(root, {"catalog/service-index.yaml": catalog})


@functools.cache
def fixture_notebooks(*names: str) -> Path:
    """A notebook folder holding only the named fixture notebooks (a full run of it is a complete week)."""
    folder = _session_dir("m254-nbs-")
    for name in names:
        shutil.copy(FIXTURE_NOTEBOOKS / f"{name}.ipynb", folder / f"{name}.ipynb")
    return folder


@functools.cache
def tiny_ws() -> Path:
    """The tiny workspace, written once per session."""
    return tiny_workspace(_session_dir("m254-tiny-") / "ws")


@functools.cache
def sample_report() -> ReportResult | None:
    """The real notebooks of notebooks/ run on data/sample, once per session (None without data/sample)."""
    if not (SAMPLE / "catalog" / "service-index.yaml").is_file():
        return None
    return build_report(SAMPLE, out=_session_dir("m254-sample-report-") / "reports")


@functools.cache
def xss_report() -> ReportResult:
    """workspace_overview (when present) and the alpha fixture run on the hostile tiny workspace."""
    folder = _session_dir("m254-xss-nb-")
    for nb in (default_notebooks_dir() / "workspace_overview.ipynb", FIXTURE_NOTEBOOKS / "alpha.ipynb"):
        if nb.is_file():
            shutil.copy(nb, folder / nb.name)
    return build_report(tiny_ws(), out=_session_dir("m254-xss-report-") / "reports", notebooks_dir=folder)

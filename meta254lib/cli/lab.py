"""``meta254 lab``: JupyterLab on the notebooks, with every piece of Jupyter state kept out of ``$HOME``.

The Jupyter and IPython folders come from :func:`~meta254lib.report.environment.jupyter_environment`
(the report's own runs use the same), JupyterLab's user settings live beside them with the news
pop-up switched off (it fetches news from the network), and jupyter-lsp does not auto-detect language
servers (it probes ``$HOME`` and writes npm logs there).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import click

from ..core.errors import ParameterError
from ..report.environment import jupyter_environment
from ..report.notebooks import default_notebooks_dir
from .common import debug_option, run_command

__all__ = ["command", "lab_command_line"]

#: JupyterLab setting that turns off the news pop-up.
NEWS_SETTINGS = ("@jupyterlab/apputils-extension", "notification.jupyterlab-settings", {"fetchNews": "false"})


def lab_command_line(notebooks: Path, *, port: int | None = None) -> tuple[list[str], dict[str, str]]:
    """The argv and environment of a JupyterLab run on ``notebooks`` with state kept out of ``$HOME``.

    Examples
    --------
    >>> argv, env = lab_command_line(Path("notebooks"))
    >>> argv[1:3], "--LanguageServerManager.autodetect=False" in argv
    (['-m', 'jupyterlab'], True)
    >>> Path(env["JUPYTERLAB_SETTINGS_DIR"]).name
    'lab-user-settings'
    """
    jupyter_environment()
    env = dict(os.environ)
    settings = Path(env["JUPYTER_CONFIG_DIR"]).parent / "lab-user-settings"
    folder, name, values = NEWS_SETTINGS
    (settings / folder).mkdir(parents=True, exist_ok=True)
    (settings / folder / name).write_text(json.dumps(values, indent=2) + "\n", encoding="utf-8")
    env["JUPYTERLAB_SETTINGS_DIR"] = str(settings)
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(Path(env["JUPYTER_CONFIG_DIR"]).parent / "lab-workspaces")
    env["npm_config_cache"] = str(Path(env["JUPYTER_CONFIG_DIR"]).parent / "npm")
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--LanguageServerManager.autodetect=False",
        f"--ServerApp.root_dir={notebooks}",
    ]
    if port is not None:
        argv.append(f"--ServerApp.port={port}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")
    return argv, env


@click.command("lab")
@click.option("--notebooks", type=click.Path(file_okay=False, path_type=Path), default=None, help="Notebook folder.")
@click.option("--port", type=int, default=None, help="Port of the Jupyter server.")
@debug_option
@run_command
def command(notebooks: Path | None, port: int | None, debug: bool) -> int:
    """Open the notebooks in JupyterLab, with Jupyter state kept out of $HOME (needs the [lab] extra)."""
    folder = notebooks or default_notebooks_dir()
    if shutil.which("jupyter") is None:
        try:
            import jupyterlab  # noqa: F401
        except ImportError:
            raise ParameterError("JupyterLab is not installed: pip install 'meta254[lab]' (or make lab)") from None
    argv, env = lab_command_line(Path(folder))
    os.execve(argv[0], argv, env)
    return 0  # pragma: no cover - execve does not return

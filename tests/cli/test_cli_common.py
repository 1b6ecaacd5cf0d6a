"""meta254lib.cli.common: the one --format option every command builds on."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from meta254lib.cli import main
from meta254lib.cli.common import BASE_FORMATS, format_option


def _choices(command: str) -> tuple[list[str], set[str]]:
    cmd = main.commands[command]
    fmt = next(p for p in cmd.params if p.name == "fmt")
    return list(fmt.type.choices), {p.name for p in cmd.params}


@pytest.mark.parametrize(
    ("command", "extra", "table"),
    [
        ("drift", [], True),
        ("validate", [], True),
        ("diff", ["markdown"], True),
        ("plan", ["markdown"], False),
        ("trains", ["markdown"], False),
        ("graph", ["graphml", "dot", "mermaid"], True),
        ("impact", ["graphml", "dot", "mermaid"], True),
    ],
)
def test_every_command_uses_the_one_format_option(command, extra, table):
    choices, params = _choices(command)
    assert choices == [*BASE_FORMATS, *extra]
    assert ({"columns", "wide"} <= params) is table


def test_format_option_bare_and_as_a_factory():
    @click.command()
    @format_option
    def bare(fmt):
        click.echo(fmt)

    @click.command()
    @format_option(extra=("markdown",), help_text="Pick one.", table=False)
    def built(fmt):
        click.echo(fmt)

    assert CliRunner().invoke(bare, []).output == "table\n"
    assert "--wide" in CliRunner().invoke(bare, ["--help"]).output
    out = CliRunner().invoke(built, ["--help"]).output
    assert "Pick one." in out and "markdown" in out and "--wide" not in out
    assert CliRunner().invoke(built, ["--format", "html"]).exit_code == 2

"""Names and dates a user types are checked: a typo exits 2 with "did you mean", never a clean empty answer."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import SAMPLE

from meta254lib.cli import main


def _run(*args: str):
    return CliRunner().invoke(main, [*args, "-w", str(SAMPLE)])


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("impact", "--spec", "auth-cor@3.0.0"), "did you mean auth-core?"),
        (("impact", "--spec", "auth-core@banana"), "expected a version such as 2.0.0"),
        (("impact", "--external", "postgresql@"), "the version after the @ is empty"),
        (("impact", "--event", "nope.event.v1"), "unknown event 'nope.event.v1'"),
        (("impact", "--service", "auth"), "did you mean auth-service?"),
        (("impact", "--service", "api-gatewy"), "did you mean api-gateway?"),
        (("drift", "--as-of", "09/10/2025"), "is not an ISO 8601 date or time"),
        (("plan", "--as-of", "13/10/2025"), "is not an ISO 8601 date or time"),
        (("plan", "--as-of", "9999-12-31"), "is outside 1970-01-01..2199-12-31"),
        (("trends", "--as-of", "9999-12-31"), "is outside 1970-01-01..2199-12-31"),
    ],
)
def test_a_typo_exits_2_with_a_suggestion(args, needle):
    result = _run(*args)
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_known_names_still_work():
    assert _run("impact", "--spec", "auth-core@3.0.0", "--format", "json").exit_code == 0
    assert _run("impact", "--event", "auth.token.issued.v1", "--format", "json").exit_code == 0
    assert _run("drift", "--as-of", "2025-10-01T00:00Z", "--format", "json").exit_code == 0


@pytest.mark.parametrize("cmd", ["plan", "trends"])
def test_an_unknown_team_is_one_error_everywhere(cmd):
    result = _run(cmd, "--team", "nosuchteam")
    assert result.exit_code == 2
    assert result.output.startswith("meta254: error: unknown team 'nosuchteam' (known: access-team,")


def test_team_names_match_case_insensitively():
    upper = _run("plan", "--team", "MARKET-FEEDS", "--format", "json")
    lower = _run("plan", "--team", "market-feeds", "--format", "json")
    assert upper.exit_code == 0 and upper.output == lower.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [(("drift", "--foo"), "No such option '--foo'"), (("drift", "--format", "xml"), "Invalid value for '--format'")],
)
def test_usage_errors_are_one_line_like_every_error(args, needle):
    result = _run(*args)
    assert result.exit_code == 2
    assert result.output.startswith("meta254: error: ") and needle in result.output
    assert result.output.rstrip().endswith("(see 'main drift --help')") or "--help')" in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("cmd", [["drift"], ["quality"], ["impact", "--service", "auth-service"]])
def test_team_and_domain_select_rows(cmd):
    import json

    whole = json.loads(_run(*cmd, "--format", "json").stdout)
    team = _run(*cmd, "--team", "SRE", "--format", "csv")
    domain = _run(*cmd, "--domain", "access", "--format", "csv")
    assert team.exit_code == 0 and domain.exit_code == 0
    assert 1 < len(team.stdout.splitlines()) < len(_run(*cmd, "--format", "csv").stdout.splitlines())
    assert whole  # the JSON of the whole workspace still parses
    assert _run(*cmd, "--domain", "nosuch").exit_code == 2


def test_impact_direction_dependencies_lists_what_a_service_needs():
    import json

    result = _run("impact", "--service", "api-gateway", "--direction", "dependencies", "--format", "json")
    assert result.exit_code == 0, result.output
    deps = json.loads(result.stdout)["dependencies"]
    assert deps and all(d["why"].startswith("api-gateway -") for d in deps)
    assert [d["distance"] for d in deps] == sorted(d["distance"] for d in deps)
    assert _run("impact", "--spec", "auth-core@3.0.0", "--direction", "dependencies").exit_code == 2

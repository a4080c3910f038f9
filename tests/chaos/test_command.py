"""`hewer chaos` argument handling (hewer_tools/chaos/command.py); the runs themselves are the
scenarios of test_crashes.py."""

from __future__ import annotations

from click.testing import CliRunner

from hewer_tools.chaos.command import chaos


def test_unknown_scenarios_and_short_soaks_are_usage_errors() -> None:
    result = CliRunner().invoke(chaos, ["--scenario", "meteor-strike"])
    assert result.exit_code == 2
    assert "unknown meteor-strike" in result.output and "worker-kill" in result.output
    result = CliRunner().invoke(chaos, ["--soak", "5s"])
    assert result.exit_code == 2 and "at least 30s" in result.output
    result = CliRunner().invoke(chaos, ["--soak", "a while"])
    assert result.exit_code == 2 and "--soak must be a duration" in result.output


def test_help_lists_the_options() -> None:
    result = CliRunner().invoke(chaos, ["--help"])
    assert result.exit_code == 0
    for option in ("--scenario", "--runs", "--soak", "--rate", "--logs", "--json"):
        assert option in result.output

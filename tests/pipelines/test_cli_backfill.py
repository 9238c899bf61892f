"""`radar backfill` and the Dask options: dates and clusters are checked before anything starts (exit code 2)."""

from __future__ import annotations

import sys
from datetime import date

import pytest
from typer.testing import CliRunner

from pipelines.cli import app, backfill_range, dask_options, main
from pipelines.errors import ConfigError

runner = CliRunner()
TODAY = date(2026, 11, 28)


def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str]:
    """The console script itself: our errors become one line on stderr and their exit code."""
    monkeypatch.setattr(sys, "argv", ["radar", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    return exited.value.code, capsys.readouterr().err


def test_backfill_help_lists_its_options() -> None:
    result = runner.invoke(app, ["backfill", "--help"])
    assert result.exit_code == 0, result.output
    for option in ("--start", "--end", "--demo", "--data-dir", "--dask-address", "--dask-local", "--no-briefings"):
        assert option in result.output
    weekly = runner.invoke(app, ["weekly", "--help"])
    assert weekly.exit_code == 0 and "--dask-address" in weekly.output and "--dask-local" in weekly.output


def test_backfill_range_accepts_past_ranges_and_refuses_the_rest() -> None:
    assert backfill_range(date(2026, 8, 10), date(2026, 11, 23), TODAY) == (date(2026, 8, 10), date(2026, 11, 23))
    assert backfill_range(date(2026, 11, 23), date(2026, 11, 23), TODAY) == (date(2026, 11, 23), date(2026, 11, 23))
    assert backfill_range(date(2026, 8, 10), None, TODAY) == (date(2026, 8, 10), None)  # the flow's last week
    with pytest.raises(ConfigError, match="--start 2026-11-23 is after --end 2026-08-10"):
        backfill_range(date(2026, 11, 23), date(2026, 8, 10), TODAY)
    with pytest.raises(ConfigError, match="--end 2027-01-04 is in the future"):
        backfill_range(date(2026, 8, 10), date(2027, 1, 4), TODAY)
    with pytest.raises(ConfigError, match=r"after today \(2026-11-28\)"):
        backfill_range(date(2026, 12, 1), None, TODAY)


def test_a_reversed_range_exits_2_with_the_fix(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    code, err = run_main(monkeypatch, capsys, "backfill", "--start", "2026-11-23", "--end", "2026-08-10")
    assert code == ConfigError.exit_code == 2
    assert "radar: --start 2026-11-23 is after --end 2026-08-10: give the earlier day as --start." in err


@pytest.mark.parametrize("args, message", [
    (["--start", "2026-13-01"], "does not match the formats '%Y-%m-%d'"),
    (["--start", "10.08.2026"], "does not match the formats '%Y-%m-%d'"),
    (["--start", "2026-08-10", "--dask-local", "0"], "greater than or equal to 1"),
])
def test_malformed_options_exit_2(monkeypatch: pytest.MonkeyPatch, capsys, args: list[str], message: str) -> None:
    code, err = run_main(monkeypatch, capsys, "backfill", *args)
    assert code == 2 and message in " ".join(err.split()).replace("│ ", "")


def test_dask_options_become_flow_parameters(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    assert dask_options(None, None) == (None, None)
    assert dask_options(None, 3) == ("local", 3)
    assert dask_options(" tcp://10.0.0.5:8786 ", None) == ("tcp://10.0.0.5:8786", None)
    with pytest.raises(ConfigError, match="not both"):
        dask_options("tcp://10.0.0.5:8786", 2)
    code, err = run_main(monkeypatch, capsys, "weekly", "--demo", "--dask-address", "10.0.0.5:8786")
    assert code == 2 and "neither 'local' nor a scheduler address" in err
    code, err = run_main(monkeypatch, capsys, "backfill", "--start", "2026-08-10", "--dask-local", "2",
                         "--dask-address", "tcp://10.0.0.5:8786")
    assert code == 2 and "not both" in err

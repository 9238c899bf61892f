"""Settings read the environment once, at the edge, and say how to fix a bad value."""

from __future__ import annotations

import pytest

from pipelines.errors import ConfigError
from pipelines.settings import Settings, default_extract_processes


def test_extract_processes_come_from_the_environment_or_the_cores() -> None:
    assert Settings.from_env({"RADAR_EXTRACT_PROCESSES": "3"}).extract_processes == 3
    assert Settings.from_env({}).extract_processes == default_extract_processes()
    assert 1 <= default_extract_processes() <= 4


@pytest.mark.parametrize("value", ["two", "0", "-1"])
def test_a_bad_process_count_names_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match="RADAR_EXTRACT_PROCESSES"):
        Settings.from_env({"RADAR_EXTRACT_PROCESSES": value})


def test_a_flow_parameter_below_one_is_refused_before_a_run() -> None:
    with pytest.raises(ConfigError, match="RADAR_EXTRACT_PROCESSES, --processes or the flow parameter"):
        Settings.from_env({}).with_overrides(extract_processes=0)

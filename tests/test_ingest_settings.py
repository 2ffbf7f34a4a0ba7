"""The ingest settings: source time zone, reject-rate threshold and memory limit, validated up front."""

from __future__ import annotations

import pytest

from orchestration.resources import Warehouse
from orchestration.settings import Settings


def test_defaults_read_naive_times_as_utc_and_warn_above_one_percent():
    settings = Settings.from_env({})
    assert (settings.source_time_zone, settings.max_reject_rate) == ("UTC", 0.01)


def test_configured_values():
    settings = Settings.from_env(
        {"LEAD_SCORING_SOURCE_TZ": "Europe/Berlin", "LEAD_SCORING_MAX_REJECT_RATE": "0.2"}
    )
    assert (settings.source_time_zone, settings.max_reject_rate) == ("Europe/Berlin", 0.2)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"LEAD_SCORING_SOURCE_TZ": "Berlin"},
            "LEAD_SCORING_SOURCE_TZ: unknown time zone 'Berlin' (use an IANA name like "
            "Europe/London)",
        ),
        (
            {"LEAD_SCORING_MAX_REJECT_RATE": "5%"},
            "LEAD_SCORING_MAX_REJECT_RATE='5%' must be a share between 0 and 1",
        ),
        (
            {"LEAD_SCORING_MAX_REJECT_RATE": "5"},
            "LEAD_SCORING_MAX_REJECT_RATE='5' must be a share between 0 and 1",
        ),
        (
            {"LEAD_SCORING_MEMORY_LIMIT": "lots"},
            "LEAD_SCORING_MEMORY_LIMIT='lots' must be a size such as 4GB or 2500MiB",
        ),
    ],
)
def test_invalid_values_are_named(environ, message):
    with pytest.raises(ValueError) as error:
        Settings.from_env(environ)
    assert str(error.value).startswith(message)


def test_duckdb_gets_the_memory_limit(tmp_path):
    settings = Settings.from_env({"LEAD_SCORING_MEMORY_LIMIT": "1500MiB"})
    assert Settings.from_env({}).memory_limit == "4GB"
    warehouse = Warehouse(path=str(tmp_path / "w.duckdb"), memory_limit=settings.memory_limit)
    with warehouse.connect() as connection:
        [(limit,)] = connection.execute("select current_setting('memory_limit')").fetchall()
    assert limit == "1.4 GiB"  # DuckDB reports 1500 MiB rounded down to a tenth of a GiB

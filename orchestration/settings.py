"""Where things live: every path and schedule setting, read from the environment once.

| variable                     | default                                 |
| ---------------------------- | --------------------------------------- |
| LEAD_SCORING_WAREHOUSE       | data/warehouse/lead_scoring.duckdb      |
| LEAD_SCORING_LANDING_DIR     | data/landing                            |
| LEAD_SCORING_OUTPUT_DIR      | data/output                             |
| LEAD_SCORING_RULES_DIR       | rules                                   |
| LEAD_SCORING_SCHEDULE_CRON   | 0 2 * * *                               |
| LEAD_SCORING_SCHEDULE_TZ     | UTC                                     |
| LEAD_SCORING_SOURCE_TZ       | UTC                                     |
| LEAD_SCORING_MAX_REJECT_RATE | 0.01                                    |

Relative paths are taken from the repository root, so the job behaves the same whatever the
working directory of `dagster dev`, the tests or cron.
"""

from __future__ import annotations

import os
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


@dataclass(frozen=True)
class Settings:
    warehouse_path: Path
    landing_dir: Path
    output_dir: Path
    rules_dir: Path
    schedule_cron: str
    schedule_time_zone: str
    # time zone of export timestamps that carry no offset (e.g. HubSpot UI exports)
    source_time_zone: str = "UTC"
    # share of a file's rows that may be rejected before the ingest check warns
    max_reject_rate: float = 0.01

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        def path(name: str, default: str) -> Path:
            value = Path(environ.get(name) or default).expanduser()
            return value if value.is_absolute() else (PROJECT_ROOT / value).resolve()

        def time_zone(name: str) -> str:
            value = environ.get(name) or "UTC"
            try:
                zoneinfo.ZoneInfo(value)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"{name}={value!r} is not a time zone (use an IANA name such as Europe/Berlin)"
                ) from None
            return value

        rate_text = environ.get("LEAD_SCORING_MAX_REJECT_RATE") or "0.01"
        try:
            max_reject_rate = float(rate_text)
        except ValueError:
            max_reject_rate = -1.0
        if not 0 <= max_reject_rate <= 1:
            raise ValueError(
                f"LEAD_SCORING_MAX_REJECT_RATE={rate_text!r} must be a share between 0 and 1 "
                "(0.01 = 1 % of a file's rows)"
            )
        return cls(
            warehouse_path=path("LEAD_SCORING_WAREHOUSE", "data/warehouse/lead_scoring.duckdb"),
            landing_dir=path("LEAD_SCORING_LANDING_DIR", "data/landing"),
            output_dir=path("LEAD_SCORING_OUTPUT_DIR", "data/output"),
            rules_dir=path("LEAD_SCORING_RULES_DIR", "rules"),
            schedule_cron=environ.get("LEAD_SCORING_SCHEDULE_CRON") or "0 2 * * *",
            schedule_time_zone=time_zone("LEAD_SCORING_SCHEDULE_TZ"),
            source_time_zone=time_zone("LEAD_SCORING_SOURCE_TZ"),
            max_reject_rate=max_reject_rate,
        )

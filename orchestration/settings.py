"""Where things live: every path and schedule setting, read from the environment once.

| variable                     | default                                 |
| ---------------------------- | --------------------------------------- |
| LEAD_SCORING_WAREHOUSE       | data/warehouse/lead_scoring.duckdb      |
| LEAD_SCORING_LANDING_DIR     | data/landing                            |
| LEAD_SCORING_OUTPUT_DIR      | data/output                             |
| LEAD_SCORING_RULES_DIR       | rules                                   |
| LEAD_SCORING_SCHEDULE_CRON   | 0 2 * * *                               |
| LEAD_SCORING_SCHEDULE_TZ     | UTC                                     |

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

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        def path(name: str, default: str) -> Path:
            value = Path(environ.get(name) or default).expanduser()
            return value if value.is_absolute() else (PROJECT_ROOT / value).resolve()

        time_zone = environ.get("LEAD_SCORING_SCHEDULE_TZ") or "UTC"
        try:
            zoneinfo.ZoneInfo(time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"LEAD_SCORING_SCHEDULE_TZ={time_zone!r} is not a time zone "
                "(use an IANA name such as Europe/Berlin)"
            ) from None
        return cls(
            warehouse_path=path("LEAD_SCORING_WAREHOUSE", "data/warehouse/lead_scoring.duckdb"),
            landing_dir=path("LEAD_SCORING_LANDING_DIR", "data/landing"),
            output_dir=path("LEAD_SCORING_OUTPUT_DIR", "data/output"),
            rules_dir=path("LEAD_SCORING_RULES_DIR", "rules"),
            schedule_cron=environ.get("LEAD_SCORING_SCHEDULE_CRON") or "0 2 * * *",
            schedule_time_zone=time_zone,
        )

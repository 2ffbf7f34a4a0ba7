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
| LEAD_SCORING_MEMORY_LIMIT    | 4GB (DuckDB's limit, ingest and dbt)    |

and the outbound settings (CRM push, SLA report delivery) listed in the README. Secrets (CRM
tokens, the SMTP password, the webhook URL) are not read here: the resources read them from
the environment when they send, so they never reach run config, metadata or logs.

Relative paths are taken from the repository root, so the job behaves the same whatever the
working directory of `dagster dev`, the tests or cron.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from orchestration.mail import SECURITY_MODES
from orchestration.rules import check_time_zone

# DuckDB's memory limit unless LEAD_SCORING_MEMORY_LIMIT says otherwise (dbt's profiles.yml
# repeats it as the env_var default)
DEFAULT_MEMORY_LIMIT = "4GB"
MEMORY_LIMIT = re.compile(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


def memory_limit(value: str) -> str:
    value = value.strip()
    if not MEMORY_LIMIT.fullmatch(value):
        raise ValueError(
            f"LEAD_SCORING_MEMORY_LIMIT={value!r} must be a size such as 4GB or 2500MiB"
        )
    return value


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
    # DuckDB's memory limit for every connection (ingest and dbt): past it, DuckDB spills to
    # disk next to the warehouse instead of growing
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    crm_target: str = "none"
    crm_dry_run: bool = False
    crm_base_url: str = ""
    crm_token_env_var: str = ""
    crm_max_attempts: int = 5
    crm_timeout_seconds: float = 10.0
    salesforce_api_version: str = "v62.0"
    salesforce_sql_status: str = "Sales Qualified"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str = ""
    report_sender: str = "lead-scoring@localhost"
    report_recipients: str = ""
    report_team_recipients: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        def path(name: str, default: str) -> Path:
            value = Path(environ.get(name) or default).expanduser()
            return value if value.is_absolute() else (PROJECT_ROOT / value).resolve()

        def time_zone(name: str) -> str:
            value = environ.get(name) or "UTC"
            try:
                check_time_zone(value)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
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

        def number(name: str, default: str, kind: type = int):
            value = environ.get(name) or default
            try:
                return kind(value)
            except ValueError:
                raise ValueError(f"{name}={value!r} is not a number") from None

        def choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
            value = (environ.get(name) or default).strip().lower()
            if value not in allowed:
                raise ValueError(f"{name}={value!r} should be one of {', '.join(allowed)}")
            return value

        crm_target = choice("LEAD_SCORING_CRM", "none", ("none", "hubspot", "salesforce"))
        crm_base_url = {
            "none": "",
            "hubspot": environ.get("LEAD_SCORING_HUBSPOT_URL") or "https://api.hubapi.com",
            "salesforce": environ.get("LEAD_SCORING_SALESFORCE_URL") or "",
        }[crm_target]
        return cls(
            crm_target=crm_target,
            crm_dry_run=choice("LEAD_SCORING_CRM_DRY_RUN", "false", ("true", "false")) == "true",
            crm_base_url=crm_base_url,
            crm_token_env_var={
                "none": "",
                "hubspot": "LEAD_SCORING_HUBSPOT_TOKEN",
                "salesforce": "LEAD_SCORING_SALESFORCE_TOKEN",
            }[crm_target],
            crm_max_attempts=number("LEAD_SCORING_CRM_MAX_ATTEMPTS", "5"),
            crm_timeout_seconds=number("LEAD_SCORING_CRM_TIMEOUT", "10", float),
            salesforce_api_version=environ.get("LEAD_SCORING_SALESFORCE_API_VERSION") or "v62.0",
            salesforce_sql_status=environ.get("LEAD_SCORING_SALESFORCE_SQL_STATUS")
            or "Sales Qualified",
            smtp_host=environ.get("LEAD_SCORING_SMTP_HOST") or "",
            smtp_port=number("LEAD_SCORING_SMTP_PORT", "587"),
            smtp_security=choice("LEAD_SCORING_SMTP_SECURITY", "starttls", SECURITY_MODES),
            smtp_user=environ.get("LEAD_SCORING_SMTP_USER") or "",
            report_sender=environ.get("LEAD_SCORING_REPORT_FROM") or "lead-scoring@localhost",
            report_recipients=environ.get("LEAD_SCORING_REPORT_TO") or "",
            report_team_recipients=environ.get("LEAD_SCORING_REPORT_TEAM_TO") or "",
            warehouse_path=path("LEAD_SCORING_WAREHOUSE", "data/warehouse/lead_scoring.duckdb"),
            landing_dir=path("LEAD_SCORING_LANDING_DIR", "data/landing"),
            output_dir=path("LEAD_SCORING_OUTPUT_DIR", "data/output"),
            rules_dir=path("LEAD_SCORING_RULES_DIR", "rules"),
            schedule_cron=environ.get("LEAD_SCORING_SCHEDULE_CRON") or "0 2 * * *",
            schedule_time_zone=time_zone("LEAD_SCORING_SCHEDULE_TZ"),
            source_time_zone=time_zone("LEAD_SCORING_SOURCE_TZ"),
            max_reject_rate=max_reject_rate,
            memory_limit=memory_limit(
                environ.get("LEAD_SCORING_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT
            ),
        )

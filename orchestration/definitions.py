"""The code location: every asset, check, job, schedule and resource of the nightly job.

Graph: landing files -> raw.* (ingest) -> rules.* (rules) -> dbt staging / intermediate / marts
(with dbt tests as asset checks) -> outbound.* (SQL hand-off, CRM push, SLA breach report)
and calibration.* (how past scores compare with what converted).
"""

from __future__ import annotations

import os

import dagster as dg

from orchestration.assets.calibration import calibration_assets
from orchestration.assets.dbt import lead_scoring_dbt_assets
from orchestration.assets.ingest import ingest_assets
from orchestration.assets.outbound import outbound_assets
from orchestration.assets.rules import rules_tables
from orchestration.backtest_job import backtest_job
from orchestration.landing_sensor import landing_sensor
from orchestration.project import lead_scoring_dbt
from orchestration.resources import Crm, Dbt, Folders, Mailer, Warehouse
from orchestration.run_date import AS_OF_TAG, default_as_of
from orchestration.settings import Settings

settings = Settings.from_env()
# dbt runs as a subprocess and finds the warehouse and its memory limit through these
# variables (profiles.yml): the same absolute path and limit the Python assets use.
os.environ["LEAD_SCORING_WAREHOUSE"] = str(settings.warehouse_path)
os.environ["LEAD_SCORING_MEMORY_LIMIT"] = settings.memory_limit

# DuckDB allows one writing process per file, and dbt is a process of its own: run the steps
# of a run one after another, in one process.
nightly_job = dg.define_asset_job(
    "nightly_lead_scoring",
    selection=dg.AssetSelection.all(),
    description="Ingest the night's exports, score and qualify every lead, hand off SQLs, report SLA breaches.",
    executor_def=dg.in_process_executor,
)


@dg.schedule(
    job=nightly_job,
    cron_schedule=settings.schedule_cron,
    execution_timezone=settings.schedule_time_zone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def nightly_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Every night, score the day that just ended (in the schedule's time zone)."""
    as_of = default_as_of(context.scheduled_execution_time.date()).isoformat()
    # one run per scoring day, however often the tick is evaluated
    return dg.RunRequest(run_key=as_of, tags={AS_OF_TAG: as_of})


defs = dg.Definitions(
    assets=[
        *ingest_assets,
        rules_tables,
        lead_scoring_dbt_assets,
        *outbound_assets,
        *calibration_assets,
    ],
    jobs=[nightly_job, backtest_job],
    schedules=[nightly_schedule],
    sensors=[landing_sensor],
    executor=dg.in_process_executor,
    resources={
        "warehouse": Warehouse(
            path=str(settings.warehouse_path), memory_limit=settings.memory_limit
        ),
        "folders": Folders(
            landing_dir=str(settings.landing_dir),
            rules_dir=str(settings.rules_dir),
            output_dir=str(settings.output_dir),
        ),
        "dbt": Dbt(project_dir=lead_scoring_dbt),
        "crm": Crm(
            target=settings.crm_target,
            dry_run=settings.crm_dry_run,
            base_url=settings.crm_base_url,
            token_env_var=settings.crm_token_env_var,
            salesforce_api_version=settings.salesforce_api_version,
            salesforce_sql_status=settings.salesforce_sql_status,
            timeout_seconds=settings.crm_timeout_seconds,
            max_attempts=settings.crm_max_attempts,
        ),
        "mailer": Mailer(
            smtp_host=settings.smtp_host,
            smtp_port=settings.smtp_port,
            smtp_security=settings.smtp_security,
            smtp_user=settings.smtp_user,
            sender=settings.report_sender,
            recipients=settings.report_recipients,
            team_recipients=settings.report_team_recipients,
        ),
    },
)

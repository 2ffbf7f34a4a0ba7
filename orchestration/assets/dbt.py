"""dbt assets: staging, intermediate and marts, built with `dbt build` (models + tests)."""

import datetime as dt
import json

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.project import lead_scoring_dbt
from orchestration.run_date import as_of_for_run


class DbtBuildConfig(dg.Config):
    full_refresh: bool = False


def dbt_build_args(as_of: dt.date, *, full_refresh: bool = False) -> list[str]:
    """The `dbt build` command line for one scoring day."""
    args = ["build", "--vars", json.dumps({"as_of": as_of.isoformat()})]
    if full_refresh:
        args.append("--full-refresh")
    return args


@dbt_assets(
    manifest=lead_scoring_dbt.manifest_path, project=lead_scoring_dbt, name="lead_scoring_dbt"
)
def lead_scoring_dbt_assets(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig
):
    """Score, qualify and check every lead as of the run's scoring day."""
    as_of = as_of_for_run(context)
    context.log.info(f"scoring as of {as_of}")
    yield from dbt.cli(
        dbt_build_args(as_of, full_refresh=config.full_refresh), context=context
    ).stream()

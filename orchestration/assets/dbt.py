"""dbt assets: staging, intermediate and marts, built with `dbt build` (models + tests)."""

import dagster as dg
from dagster_dbt import dbt_assets

from orchestration.project import lead_scoring_dbt
from orchestration.resources import Dbt
from orchestration.run_date import as_of_for_run


class DbtBuildConfig(dg.Config):
    full_refresh: bool = False


def dbt_build_args(*, full_refresh: bool = False) -> list[str]:
    """The `dbt build` command line (the scoring day goes in the environment: Dbt.run_for_day).

    Models and data tests, not dbt's unit tests: their inputs are fixed rows in the YAML, so
    a night would only repeat what `make test` proved for this code (dbt's own advice is to
    run them in development and CI; tests/test_pipeline.py runs them).
    """
    args = ["build", "--exclude-resource-type", "unit_test"]
    return [*args, "--full-refresh"] if full_refresh else args


@dbt_assets(
    manifest=lead_scoring_dbt.manifest_path, project=lead_scoring_dbt, name="lead_scoring_dbt"
)
def lead_scoring_dbt_assets(context: dg.AssetExecutionContext, dbt: Dbt, config: DbtBuildConfig):
    """Score, qualify and check every lead as of the run's scoring day."""
    as_of = as_of_for_run(context)
    context.log.info(f"scoring as of {as_of}")
    yield from dbt.run_for_day(dbt_build_args(full_refresh=config.full_refresh), as_of, context)

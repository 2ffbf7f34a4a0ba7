"""The backtest as a Dagster job: launch it from the UI with a candidate rules folder."""

from pathlib import Path

import dagster as dg

from orchestration.backtest import run_backtest
from orchestration.resources import Folders, Warehouse
from orchestration.run_date import as_of_for_run


class BacktestConfig(dg.Config):
    candidate_rules_dir: str


@dg.op
def backtest_candidate_rules(
    context: dg.OpExecutionContext, config: BacktestConfig, warehouse: Warehouse, folders: Folders
) -> dg.Output:
    """Rescore a copy of the warehouse with the candidate rules; the current one is only read."""
    as_of = as_of_for_run(context)
    work_dir = Path(folders.output_dir) / "backtest" / as_of.isoformat()
    result = run_backtest(
        Path(warehouse.path),
        Path(config.candidate_rules_dir),
        as_of,
        work_dir,
        Path(folders.landing_dir),
    )
    context.log.info(result.text())
    return dg.Output(
        None,
        metadata={
            "comparison": dg.MetadataValue.md(f"```\n{result.text()}\n```"),
            "candidate_warehouse": dg.MetadataValue.path(str(result.candidate_warehouse)),
        },
    )


@dg.job(executor_def=dg.in_process_executor)
def backtest_job():
    """What-if: MQLs and SQLs added and removed, AUC, precision and SLA load under candidate rules."""
    backtest_candidate_rules()

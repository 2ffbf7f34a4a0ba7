"""Backtest a rule change before publishing it: score the history again with candidate rules.

The warehouse file is copied, the rules and dbt assets run on the copy with the candidate
rules folder (a full refresh, so the whole score history is rescored), and the two
warehouses' marts are compared: MQLs and SQLs added and removed with their conversion rates,
ROC AUC and precision at the bars, and SLA load. The current warehouse is only read.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from orchestration import calibration
from orchestration.rules import load_calibration_rules, load_rules

# Reaching either counts as converted when comparing who would have qualified.
CONVERTED = "(opportunity_at is not null or customer_at is not null)"


@dataclass(frozen=True)
class Backtest:
    candidate_warehouse: Path
    stage_changes: pd.DataFrame  # stage, change (added / removed / kept), leads, converted, rate
    metrics: pd.DataFrame  # metric, current, candidate, change
    note: str | None = None  # why AUC and precision are missing, when they are

    def text(self) -> str:
        lines = ["Backtest: candidate rules against the current ones, same history", ""]
        lines.append("Who would have qualified (converted = reached an opportunity):")
        for row in self.stage_changes.itertuples(index=False):
            rate = "-" if pd.isna(row.conversion_rate) else f"{row.conversion_rate:.1%}"
            lines.append(
                f"  {row.stage:<4} {row.change:<8} {row.leads:>6} leads, "
                f"{row.converted:>5} converted ({rate})"
            )
        lines += ["", f"  {'':<28} {'current':>12} {'candidate':>12} {'change':>10}"]
        for row in self.metrics.itertuples(index=False):
            lines.append(
                f"  {row.metric:<28} {_show(row.current):>12} {_show(row.candidate):>12} "
                f"{_show(row.change):>10}"
            )
        if self.note:
            lines.append(f"  {self.note}")
        lines.append(f"\nCandidate warehouse (for a closer look): {self.candidate_warehouse}")
        return "\n".join(lines)


def _show(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "-"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.3f}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def score_candidate(
    current_warehouse: Path,
    candidate_rules: Path,
    as_of: dt.date,
    work_dir: Path,
    landing_dir: Path,
) -> Path:
    """Copy the warehouse into `work_dir` and rescore the copy with the candidate rules.

    Raises:
        RulesError: when the candidate rules are invalid (checked before anything is copied).
        RuntimeError: when the rescoring run fails, with the failing step's message.
    """
    import dagster as dg

    from orchestration.assets.dbt import lead_scoring_dbt_assets
    from orchestration.assets.rules import rules_tables
    from orchestration.project import lead_scoring_dbt
    from orchestration.resources import Dbt, Folders, Warehouse, environment
    from orchestration.run_date import AS_OF_TAG

    load_rules(candidate_rules)  # fail fast, with the file and line, before any work
    work_dir.mkdir(parents=True, exist_ok=True)
    # the same file name: dbt-duckdb names the database after the file's stem
    copy = work_dir / Path(current_warehouse).name
    shutil.copyfile(current_warehouse, copy)
    # dbt finds the warehouse through this variable (profiles.yml); point it at the copy for
    # this run only, so that nothing here can write to the current warehouse
    with environment(LEAD_SCORING_WAREHOUSE=str(copy)):
        result = dg.materialize(
            [rules_tables, lead_scoring_dbt_assets],
            tags={AS_OF_TAG: as_of.isoformat()},
            run_config={
                "ops": {"lead_scoring_dbt": {"config": {"full_refresh": True}}},
                "loggers": {"console": {"config": {"log_level": "WARNING"}}},
            },
            resources={
                "warehouse": Warehouse(path=str(copy)),
                "folders": Folders(
                    landing_dir=str(landing_dir),
                    rules_dir=str(candidate_rules),
                    output_dir=str(work_dir / "output"),
                ),
                "dbt": Dbt(project_dir=lead_scoring_dbt),
            },
            raise_on_error=False,
        )
    if not result.success:
        failures = [
            f"{e.step_key}: {e.step_failure_data.error.message.strip()}"
            for e in result.all_events
            if e.is_step_failure and e.step_failure_data.error
        ]
        raise RuntimeError("rescoring with the candidate rules failed: " + "; ".join(failures))
    return copy


def compare(current_warehouse: Path, candidate_warehouse: Path, candidate_rules: Path) -> Backtest:
    """Compare the marts of the two warehouses, judged by the candidate's calibration settings."""
    settings = load_calibration_rules(candidate_rules)
    connection = duckdb.connect()
    try:
        connection.execute(f"attach '{_quoted(current_warehouse)}' as current_wh (read_only)")
        connection.execute(f"attach '{_quoted(candidate_warehouse)}' as candidate_wh (read_only)")
        stage_changes = connection.execute(
            f"""
            with current_leads as (
                select lead_id, first_mql_at is not null as mql, first_sql_at is not null as sql,
                    {CONVERTED} as converted
                from current_wh.marts.fct_lead_lifecycle
            ),
            candidate_leads as (
                select lead_id, first_mql_at is not null as mql, first_sql_at is not null as sql
                from candidate_wh.marts.fct_lead_lifecycle
            ),
            both_ways as (
                select c.lead_id, c.converted, c.mql as mql_now, k.mql as mql_then,
                    c.sql as sql_now, k.sql as sql_then
                from current_leads as c
                inner join candidate_leads as k on k.lead_id = c.lead_id
            ),
            per_stage as (
                select 'mql' as stage, mql_now as is_now, mql_then as is_candidate, converted
                from both_ways
                union all
                select 'sql', sql_now, sql_then, converted from both_ways
            )
            select
                stage,
                case when is_candidate and not is_now then 'added'
                     when is_now and not is_candidate then 'removed'
                     else 'kept' end as change,
                count(*) as leads,
                count(*) filter (where converted) as converted,
                count(*) filter (where converted) / count(*) as conversion_rate
            from per_stage
            where is_now or is_candidate
            group by all
            order by stage, change
            """
        ).df()
        rows = []
        for name, sql in (
            (
                "MQLs (ever)",
                "select count(*) from {db}.marts.fct_lead_lifecycle where first_mql_at is not null",
            ),
            (
                "SQLs (ever)",
                "select count(*) from {db}.marts.fct_lead_lifecycle where first_sql_at is not null",
            ),
            ("SLA clocks", "select count(*) from {db}.marts.fct_sla_status"),
            ("open SLA breaches", "select count(*) from {db}.marts.rpt_sla_breaches"),
        ):
            now = connection.execute(sql.format(db="current_wh")).fetchall()[0][0]
            then = connection.execute(sql.format(db="candidate_wh")).fetchall()[0][0]
            rows.append((name, now, then, then - now))
        judged = [_judge(connection, db, settings) for db in ("current_wh", "candidate_wh")]
        for name, pick in (
            ("ROC AUC", lambda r: r.auc),
            ("precision at the MQL bar", lambda r: r.at_mql.precision if r.at_mql else None),
            ("recall at the MQL bar", lambda r: r.at_mql.recall if r.at_mql else None),
            ("precision at the SQL bar", lambda r: r.at_sql.precision if r.at_sql else None),
        ):
            now, then = pick(judged[0]), pick(judged[1])
            change = then - now if now is not None and then is not None else None
            rows.append((name, now, then, change))
        note = None if judged[0].enough else judged[0].verdict()
    finally:
        connection.close()
    metrics = pd.DataFrame(rows, columns=["metric", "current", "candidate", "change"])
    return Backtest(Path(candidate_warehouse), stage_changes, metrics, note)


def _judge(connection, database: str, settings) -> calibration.Calibration:
    leads, bands, mql_bar, sql_bar = calibration.read_inputs(connection, database)
    return calibration.calibrate(leads, bands, settings, mql_bar, sql_bar)


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def run_backtest(
    current_warehouse: Path,
    candidate_rules: Path,
    as_of: dt.date,
    work_dir: Path,
    landing_dir: Path,
) -> Backtest:
    """Rescore a copy with the candidate rules and compare it with the current warehouse."""
    copy = score_candidate(current_warehouse, candidate_rules, as_of, work_dir, landing_dir)
    return compare(current_warehouse, copy, candidate_rules)

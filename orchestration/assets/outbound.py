"""Outbound assets: hand new SQLs to sales exactly once, and report SLA breaches to sales ops."""

import datetime as dt
from pathlib import Path

import dagster as dg
import pandas as pd

from orchestration.outbound_files import write_csv_atomically
from orchestration.resources import Folders, Warehouse
from orchestration.run_date import as_of_for_run

HANDOFF_COLUMNS = (
    "lead_id",
    "email",
    "first_name",
    "last_name",
    "title",
    "company",
    "country",
    "owner_id",
    "owner_name",
    "owner_email",
    "sql_at",
    "sql_reason",
    "fit_score",
    "engagement_score",
    "total_score",
    "fit_grade",
    "engagement_tier",
    "rules_version",
)

HANDOFF_LEDGER_DDL = f"""
create table if not exists outbound.sql_handoffs (
    {", ".join(f"{c} {'timestamp' if c.endswith('_at') else 'varchar'}" for c in HANDOFF_COLUMNS)},
    as_of_date date not null,
    handed_off_at timestamp not null,
    primary key (lead_id, sql_at)
)
"""


def handoff_file(output_dir: Path, as_of: dt.date) -> Path:
    return output_dir / "sql_handoffs" / f"new_sqls_{as_of.isoformat()}.csv"


def breach_report_file(output_dir: Path, as_of: dt.date) -> Path:
    return output_dir / "sla_breaches" / f"sla_breaches_{as_of.isoformat()}.csv"


@dg.asset(
    key=["outbound", "sql_handoffs"],
    group_name="outbound",
    deps=[["marts", "rpt_new_sqls"]],
    kinds={"duckdb", "csv"},
)
def sql_handoffs(
    context: dg.AssetExecutionContext, warehouse: Warehouse, folders: Folders
) -> dg.MaterializeResult:
    """Each new SQL handed to sales exactly once: recorded in outbound.sql_handoffs, written as CSV."""
    as_of = as_of_for_run(context)
    output_dir = Path(folders.output_dir)
    columns = ", ".join(HANDOFF_COLUMNS)
    with warehouse.connect() as connection:
        connection.execute("create schema if not exists outbound")
        connection.execute(HANDOFF_LEDGER_DDL)
        # The ledger is the record of what sales received; (lead_id, sql_at) is its key, so a
        # re-run, or a second run of the same night, finds nothing new to hand off. A lead that
        # is recycled and qualifies again later is a new SQL with a new sql_at.
        connection.execute("begin transaction")
        inserted = connection.execute(
            f"""
            insert into outbound.sql_handoffs
            select {columns}, ?, cast(now() at time zone 'UTC' as timestamp)
            from marts.rpt_new_sqls as new_sqls
            where not exists (
                select 1 from outbound.sql_handoffs as done
                where done.lead_id = new_sqls.lead_id and done.sql_at = new_sqls.sql_at
            )
            """,
            [as_of],
        ).fetchone()[0]
        connection.execute("commit")
        # The CSV of a night is rebuilt from the ledger, so a crash between the commit and
        # the write loses nothing: a missing file is written by the next run.
        written = []
        for (day,) in connection.execute(
            "select distinct as_of_date from outbound.sql_handoffs order by 1"
        ).fetchall():
            path = handoff_file(output_dir, day)
            if day == as_of or not path.exists():
                frame = connection.execute(
                    f"select {columns} from outbound.sql_handoffs where as_of_date = ? "
                    "order by sql_at, lead_id",
                    [day],
                ).df()
                write_csv_atomically(frame, path)
                written.append(str(path))
        total = connection.execute("select count(*) from outbound.sql_handoffs").fetchone()[0]
    context.log.info(f"{inserted} new SQL(s) handed off for {as_of}")
    return dg.MaterializeResult(
        metadata={
            "as_of": as_of.isoformat(),
            "new_sqls": inserted,
            "sqls_handed_off_all_time": total,
            "files_written": dg.MetadataValue.json(written),
        }
    )


@dg.asset(
    key=["outbound", "sla_breach_report"],
    group_name="outbound",
    deps=[["marts", "rpt_sla_breaches"]],
    kinds={"csv"},
)
def sla_breach_report(
    context: dg.AssetExecutionContext, warehouse: Warehouse, folders: Folders
) -> dg.MaterializeResult:
    """The night's open SLA breaches for sales ops: a CSV and a readable summary per scoring day."""
    as_of = as_of_for_run(context)
    with warehouse.connect() as connection:
        breaches = connection.execute(
            "select * from marts.rpt_sla_breaches "
            "order by owner_name, business_hours_overdue desc, lead_id"
        ).df()
    csv_path = breach_report_file(Path(folders.output_dir), as_of)
    write_csv_atomically(breaches, csv_path)
    summary = breach_summary(breaches, as_of)
    summary_path = csv_path.with_suffix(".txt")
    summary_path.write_text(summary, encoding="utf-8")
    by_tier = breaches["tier"].value_counts().to_dict() if len(breaches) else {}
    return dg.MaterializeResult(
        metadata={
            "as_of": as_of.isoformat(),
            "open_breaches": len(breaches),
            "by_tier": dg.MetadataValue.json({k: int(v) for k, v in by_tier.items()}),
            "report": dg.MetadataValue.md(f"```\n{summary}\n```"),
            "csv": str(csv_path),
        }
    )


def breach_summary(breaches: pd.DataFrame, as_of: dt.date) -> str:
    """A plain-text summary of the open breaches, by tier and by owner."""
    lines = [f"SLA breaches as of {as_of.isoformat()}: {len(breaches)} open"]
    if breaches.empty:
        lines.append("Every SQL has been followed up within its window.")
        return "\n".join(lines) + "\n"
    for tier, count in breaches["tier"].value_counts().sort_index().items():
        lines.append(f"  {tier}: {count}")
    lines.append("")
    lines.append("By owner (open breaches, worst overdue in business hours):")
    by_owner = (
        breaches.groupby("owner_name", dropna=False)
        .agg(breaches=("lead_id", "count"), worst_overdue=("business_hours_overdue", "max"))
        .sort_values(["breaches", "worst_overdue"], ascending=False)
    )
    for owner, row in by_owner.iterrows():
        lines.append(
            f"  {owner}: {int(row.breaches)} (worst {float(row.worst_overdue):.1f} h overdue)"
        )
    return "\n".join(lines) + "\n"


outbound_assets = [sql_handoffs, sla_breach_report]

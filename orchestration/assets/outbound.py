"""Outbound assets: hand new SQLs to sales and the CRM exactly once, report SLA breaches.

sql_handoffs -> crm_push: the ledger of what sales received, then its delivery to the CRM.
sla_breach_report: archived files, then e-mail / webhook deliveries, each made once.
"""

import datetime as dt
import json
from pathlib import Path

import dagster as dg
import duckdb

from orchestration import breach_report, outbox
from orchestration.outbound_files import write_query_csv
from orchestration.resources import Crm, Folders, Mailer, Warehouse
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


def crm_push_file(output_dir: Path, as_of: dt.date, suffix: str = "csv") -> Path:
    return output_dir / "crm_push" / f"crm_push_{as_of.isoformat()}.{suffix}"


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
                write_query_csv(
                    connection,
                    f"select {columns} from outbound.sql_handoffs where as_of_date = ? "
                    "order by sql_at, lead_id",
                    path,
                    [day],
                )
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


CRM_PUSH_CHECK = "crm_push_succeeded"


@dg.asset(
    key=["outbound", "crm_push"],
    group_name="outbound",
    deps=[["outbound", "sql_handoffs"]],
    kinds={"duckdb", "python"},
    check_specs=[dg.AssetCheckSpec(CRM_PUSH_CHECK, asset=["outbound", "crm_push"])],
)
def crm_push(
    context: dg.AssetExecutionContext, warehouse: Warehouse, folders: Folders, crm: Crm
) -> dg.MaterializeResult:
    """Push each handed-off SQL to the CRM once (outbound.crm_outbox); never downgrade a lead."""
    as_of = as_of_for_run(context)
    output_dir = Path(folders.output_dir)
    with warehouse.connect() as connection:
        connection.execute("create schema if not exists outbound")
        connection.execute(outbox.OUTBOX_DDL)
        queued = outbox.enqueue(connection, crm.target)
        delivery, report, files = _push_to_crm(context, connection, crm, output_dir, as_of)
        if report.attempted:
            # What happened to each lead this run, for whoever follows up a failure.
            path = crm_push_file(output_dir, as_of)
            write_query_csv(
                connection,
                "select lead_id, payload ->> 'email' as email, sql_at, status, attempts, "
                "last_error, note, crm_record_id, pushed_at from outbound.crm_outbox "
                "where idempotency_key in (select unnest(?)) order by sql_at, lead_id",
                path,
                [report.attempted],
            )
            files.append(str(path))
        by_status = dict(
            connection.execute(
                "select status, count(*) from outbound.crm_outbox group by 1 order by 1"
            ).fetchall()
        )
        dead = connection.execute(
            "select lead_id, sql_at, attempts, last_error from outbound.crm_outbox "
            "where status = 'dead' order by sql_at, lead_id"
        ).fetchall()
    died = report.counts.get("dead", 0)
    problems = [report.error] if report.error else []
    if died:
        problems.append(f"{died} SQL(s) failed {crm.max_attempts} times and are now dead")
    return dg.MaterializeResult(
        metadata={
            "as_of": as_of.isoformat(),
            "crm_target": crm.target,
            "dry_run": crm.dry_run,
            "delivery": delivery,
            "queued_this_run": queued,
            "results_this_run": dg.MetadataValue.json(report.counts),
            "outbox_by_status": dg.MetadataValue.json({k: int(v) for k, v in by_status.items()}),
            "files_written": dg.MetadataValue.json(files),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=CRM_PUSH_CHECK,
                passed=not problems,
                description="; ".join(problems)
                or "every SQL due this run reached the CRM or waits for a retry",
                metadata={
                    "dead_sqls": dg.MetadataValue.md(
                        "\n".join(
                            f"- {lead} ({sql_at}): {error}" for lead, sql_at, _, error in dead
                        )
                        or "none"
                    ),
                    "pending_retry": report.counts.get("retry", 0),
                },
            )
        ],
    )


def _push_to_crm(
    context: dg.AssetExecutionContext,
    connection: duckdb.DuckDBPyConnection,
    crm: Crm,
    output_dir: Path,
    as_of: dt.date,
) -> tuple[str, outbox.PushReport, list[str]]:
    """Push the pending outbox (or show what a push would send): what was done, in words."""
    report = outbox.PushReport()
    if crm.target == "none":
        return (
            "nothing sent: no CRM configured (LEAD_SCORING_CRM=none); "
            "the hand-off CSV is for manual import",
            report,
            [],
        )
    try:
        client = crm.client()
    except ValueError as error:
        report.error = f"nothing sent: {error}"
        return report.error, report, []
    if crm.dry_run:
        requests = outbox.dry_run_requests(connection, client, crm.batch_size)
        path = crm_push_file(output_dir, as_of, "dry_run.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(requests, indent=2), encoding="utf-8")
        count = sum(len(r["body"].get("inputs") or r["body"].get("records")) for r in requests)
        delivery = (
            f"dry run: nothing sent; {count} SQL(s) would be pushed to {crm.target} "
            f"in {len(requests)} request(s), written to {path.name}"
        )
        context.log.info(delivery)
        return delivery, report, [str(path)]
    report = outbox.push_pending(connection, client, crm.max_attempts, crm.batch_size)
    done = ", ".join(f"{n} {outcome}" for outcome, n in sorted(report.counts.items()))
    if report.error:
        context.log.error(f"CRM push stopped: {report.error}")
        return (
            f"push to {crm.target} stopped: {report.error}" + (f" ({done})" if done else ""),
            report,
            [],
        )
    return f"pushed to {crm.target}: {done or 'nothing pending'}", report, []


BREACH_DELIVERY_CHECK = "breach_report_delivered"


class BreachReportConfig(dg.Config):
    """Run config of the breach report (launchpad or `python -m orchestration run --resend-reports`)."""

    resend: bool = False  # send this night's e-mails and webhook message again


@dg.asset(
    key=["outbound", "sla_breach_report"],
    group_name="outbound",
    deps=[["marts", "rpt_sla_breaches"]],
    kinds={"csv", "html", "email"},
    check_specs=[dg.AssetCheckSpec(BREACH_DELIVERY_CHECK, asset=["outbound", "sla_breach_report"])],
)
def sla_breach_report(
    context: dg.AssetExecutionContext,
    config: BreachReportConfig,
    warehouse: Warehouse,
    folders: Folders,
    mailer: Mailer,
) -> dg.MaterializeResult:
    """The night's open SLA breaches for sales ops: archived as CSV, text and HTML, then e-mailed
    (to everyone, and per team if configured) and posted to a webhook, each delivery once."""
    as_of = as_of_for_run(context)
    output_dir = Path(folders.output_dir)
    channels = breach_report.Channels(
        smtp=mailer.smtp(),
        recipients=[a.strip() for a in mailer.recipients.split(",") if a.strip()],
        team_recipients=breach_report.parse_team_recipients(mailer.team_recipients),
        webhook_url=mailer.webhook_url(),
        webhook_policy=mailer.webhook_policy(),
    )
    with warehouse.connect() as connection:
        csv_path, breaches = breach_report.archive(connection, output_dir, as_of, breach_report.ALL)
        for team in channels.team_recipients:
            breach_report.archive(connection, output_dir, as_of, team)
        connection.execute("create schema if not exists outbound")
        connection.execute(breach_report.DELIVERIES_DDL)
        breach_report.schedule_deliveries(connection, as_of, channels, config.resend)
        deliveries = breach_report.deliver_pending(connection, output_dir, channels)
    for failure in deliveries.failed:
        context.log.error(f"SLA breach report not delivered, kept for the next run: {failure}")
    summary = csv_path.with_suffix(".txt").read_text(encoding="utf-8")
    by_tier = breaches["tier"].value_counts().to_dict() if len(breaches) else {}
    delivery = channels.nothing_configured() or (
        f"{len(deliveries.sent)} sent, {len(deliveries.failed)} failed and pending"
    )
    return dg.MaterializeResult(
        metadata={
            "as_of": as_of.isoformat(),
            "open_breaches": len(breaches),
            "by_tier": dg.MetadataValue.json({k: int(v) for k, v in by_tier.items()}),
            "report": dg.MetadataValue.md(f"```\n{summary}\n```"),
            "csv": str(csv_path),
            "html": str(csv_path.with_suffix(".html")),
            "delivery": delivery,
            "sent": dg.MetadataValue.json(deliveries.sent),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=BREACH_DELIVERY_CHECK,
                passed=not deliveries.failed,
                description="; ".join(deliveries.failed) or delivery,
            )
        ],
    )


outbound_assets = [sql_handoffs, crm_push, sla_breach_report]

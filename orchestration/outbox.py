"""The CRM outbox: one row per handed-off SQL, so each SQL reaches the CRM once across runs.

`outbound.sql_handoffs` stays the one record of what sales received; the outbox tracks only
the delivery of each of those rows to the CRM:

    pending --push ok--> sent
            --CRM holds a later stage--> skipped      (never downgraded)
            --failed, attempts < limit--> pending    (retried next run)
            --failed, attempts = limit--> dead       (reported; fix and set back to pending)
    manual: no CRM configured when it was handed off; the hand-off CSV is for manual import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb

from orchestration.crm import MAX_BATCH, CrmClient, PushResult, SqlToPush
from orchestration.http_json import AuthError, HttpError

OUTBOX_DDL = """
create table if not exists outbound.crm_outbox (
    lead_id varchar not null,
    sql_at timestamp not null,
    idempotency_key varchar not null unique,
    payload json not null,
    status varchar not null,
    attempts integer not null,
    last_error varchar,
    note varchar,
    crm_target varchar,
    crm_record_id varchar,
    enqueued_at timestamp not null,
    last_attempt_at timestamp,
    pushed_at timestamp,
    primary key (lead_id, sql_at)
)
"""

NOW = "cast(now() at time zone 'UTC' as timestamp)"


def enqueue(connection: duckdb.DuckDBPyConnection, crm_target: str) -> int:
    """Queue every handed-off SQL that is not in the outbox yet; the number queued.

    Built from the ledger rather than from the mart, so an SQL recorded by a run that then
    died is still queued by the next one.
    """
    status = "manual" if crm_target == "none" else "pending"
    # The key is derived from (lead, SQL time) alone: the same SQL always has the same key,
    # whichever run sends it, so the CRM can tell us it already holds it.
    return connection.execute(
        f"""
        insert into outbound.crm_outbox (
            lead_id, sql_at, idempotency_key, payload, status, attempts, enqueued_at
        )
        select
            lead_id,
            sql_at,
            left(sha256(lead_id || '|' || strftime(sql_at, '%Y-%m-%dT%H:%M:%S')), 32),
            json_object(
                'lead_id', lead_id, 'email', email,
                'sql_at', strftime(sql_at, '%Y-%m-%dT%H:%M:%SZ'), 'sql_reason', sql_reason,
                'total_score', total_score, 'fit_score', fit_score,
                'engagement_score', engagement_score
            ),
            ?, 0, {NOW}
        from outbound.sql_handoffs as handoffs
        where not exists (
            select 1 from outbound.crm_outbox as outbox
            where outbox.lead_id = handoffs.lead_id and outbox.sql_at = handoffs.sql_at
        )
        """,
        [status],
    ).fetchone()[0]


def pending(connection: duckdb.DuckDBPyConnection) -> list[SqlToPush]:
    rows = connection.execute(
        "select idempotency_key, payload from outbound.crm_outbox "
        "where status = 'pending' order by sql_at, lead_id"
    ).fetchall()
    return [SqlToPush(idempotency_key=key, **json.loads(payload)) for key, payload in rows]


def batches(sqls: list[SqlToPush], size: int, client: CrmClient) -> list[list[SqlToPush]]:
    """Batches of at most `size`, in order, never holding one CRM record twice.

    HubSpot refuses a whole batch that names a contact twice; that happens when a lead has
    two SQLs pending (recycled and qualified again) or two leads share an e-mail. The second
    goes into a later batch instead.
    """
    size = max(1, min(size, MAX_BATCH))
    result: list[tuple[list[SqlToPush], set[str]]] = []
    for sql in sqls:
        record = client.record_identity(sql)
        room = next((b for b in result if len(b[0]) < size and record not in b[1]), None)
        if room is None:
            room = ([], set())
            result.append(room)
        room[0].append(sql)
        room[1].add(record)
    return [batch for batch, _ in result]


@dataclass
class PushReport:
    counts: dict[str, int] = field(default_factory=dict)  # sent / skipped / retry / dead
    attempted: list[str] = field(default_factory=list)  # idempotency keys
    error: str | None = None  # why the run stopped early (auth, CRM unreachable)


def push_pending(
    connection: duckdb.DuckDBPyConnection,
    client: CrmClient,
    max_attempts: int,
    batch_size: int = MAX_BATCH,
) -> PushReport:
    """Push every pending SQL in batches and record each lead's result as soon as it is known."""
    report = PushReport()
    for batch in batches(pending(connection), batch_size, client):
        keys = [sql.idempotency_key for sql in batch]
        # Count the attempt before sending: if the process dies after the CRM got the batch,
        # the attempt still counts, so a batch that crashes every time cannot retry forever.
        connection.execute(
            f"update outbound.crm_outbox set attempts = attempts + 1, last_attempt_at = {NOW}, "
            "crm_target = ? where idempotency_key in (select unnest(?))",
            [client.name, keys],
        )
        report.attempted.extend(keys)
        try:
            results = client.push(batch)
        except AuthError as error:
            # The token is wrong, not the records: give the attempt back and stop this run.
            connection.execute(
                "update outbound.crm_outbox set attempts = attempts - 1, last_error = ? "
                "where idempotency_key in (select unnest(?))",
                [str(error), keys],
            )
            report.attempted = report.attempted[: -len(keys)]
            report.error = str(error)
            break
        except HttpError as error:
            results = {key: PushResult("failed", str(error)) for key in keys}
            if error.retryable:
                # The CRM is down or throttling hard: later batches would fail the same way.
                report.error = str(error)
        _record(connection, results, max_attempts, report)
        if report.error:
            break
    return report


def _record(
    connection: duckdb.DuckDBPyConnection,
    results: dict[str, PushResult],
    max_attempts: int,
    report: PushReport,
) -> None:
    connection.execute("begin transaction")
    for key, result in results.items():
        if result.status == "sent":
            connection.execute(
                f"update outbound.crm_outbox set status = 'sent', pushed_at = {NOW}, "
                "last_error = null, note = ?, crm_record_id = ? where idempotency_key = ?",
                [result.detail, result.crm_id, key],
            )
            outcome = "sent"
        elif result.status == "skipped":
            connection.execute(
                "update outbound.crm_outbox set status = 'skipped', last_error = null, note = ?, "
                "crm_record_id = ? where idempotency_key = ?",
                [result.detail, result.crm_id, key],
            )
            outcome = "skipped"
        else:
            outcome = connection.execute(
                "update outbound.crm_outbox "
                "set status = case when attempts >= ? then 'dead' else 'pending' end, "
                "last_error = ? where idempotency_key = ? returning status",
                [max_attempts, result.detail, key],
            ).fetchone()[0]
            outcome = "retry" if outcome == "pending" else "dead"
        report.counts[outcome] = report.counts.get(outcome, 0) + 1
    connection.execute("commit")


def dry_run_requests(
    connection: duckdb.DuckDBPyConnection, client: CrmClient, batch_size: int = MAX_BATCH
) -> list[dict]:
    """What a push would write, batch by batch, without calling the CRM (nor reading it)."""
    requests = []
    for batch in batches(pending(connection), batch_size, client):
        request = client.write_request(batch)
        requests.append(
            {
                "method": request.method,
                "url": client.base_url + request.path,
                "body": request.body,
            }
        )
    return requests

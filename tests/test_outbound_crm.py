"""Pushing new SQLs to a CRM served on 127.0.0.1: each SQL reaches the CRM once, whatever fails.

The outbound assets run on hand-made marts (the input interface: marts.rpt_new_sqls), against
FakeCrm speaking the HubSpot and Salesforce shapes. Backoff is tiny here; Retry-After is not.
"""

from __future__ import annotations

import csv
import datetime as dt
import email.utils
import json
import subprocess
import sys
import textwrap

import pytest
import yaml

from orchestration.http_json import RetryPolicy, parse_retry_after
from orchestration.resources import Crm
from tests.conftest import ROOT, failure_messages, materialization_metadata
from tests.outbound_support import (
    BREACH_COLUMNS,
    HS_READ,
    HS_UPSERT,
    NEW_SQLS_COLUMNS,
    SF,
    FakeCrm,
    FakeCrmServer,
    check_result,
    everything_said,
    replace_marts,
    run_outbound,
    sql_row,
)

AS_OF = "2026-11-20"
TOKEN = "pat-na1-s3cr3t-token-0123"
PUSH = ["outbound", "crm_push"]


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_CRM_TOKEN", TOKEN)
    return tmp_path


def hubspot(server: FakeCrmServer, **overrides) -> Crm:
    settings = {
        "target": "hubspot",
        "base_url": server.url,
        "token_env_var": "TEST_CRM_TOKEN",
        "timeout_seconds": 0.5,
        "max_retries": 3,
        "backoff_base_seconds": 0.01,
        "backoff_max_seconds": 5,
    }
    return Crm(**(settings | overrides))


def outbox(root) -> dict[str, dict]:
    import duckdb

    with duckdb.connect(str(root / "lead_scoring.duckdb"), read_only=True) as connection:
        cursor = connection.execute("select * from outbound.crm_outbox order by lead_id")
        names = [column[0] for column in cursor.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def test_hubspot_push_marks_sqls_once_and_never_downgrades(root):
    crm = FakeCrm(
        token=TOKEN,
        contacts={
            "bea@corp.example": {"id": "501", "properties": {"lifecyclestage": "lead"}},
            "cy@corp.example": {"id": "502", "properties": {"lifecyclestage": "customer"}},
        },
    )
    replace_marts(
        root,
        [
            sql_row("L1", "ada@corp.example"),  # not in HubSpot yet: the upsert creates her
            sql_row("L2", "Bea@Corp.example"),  # a lead in HubSpot
            sql_row("L3", "cy@corp.example"),  # already a customer there
        ],
        [],
    )
    with FakeCrmServer(crm) as server:
        first = run_outbound(root, AS_OF, crm=hubspot(server))
        assert first.success, failure_messages(first)
        second = run_outbound(root, AS_OF, crm=hubspot(server))  # the same night again
        assert second.success, failure_messages(second)

    ada, bea, cy = (
        crm.contacts[e] for e in ("ada@corp.example", "bea@corp.example", "cy@corp.example")
    )
    assert ada["properties"]["lifecyclestage"] == "salesqualifiedlead"
    assert ada["properties"]["lead_score_total"] == "102.97"
    assert ada["properties"]["lead_score_sql_reason"] == "hand_raise:demo_request"
    assert ada["properties"]["lead_score_sql_at"] == "2026-11-18T15:00:00Z"
    assert bea["properties"]["lifecyclestage"] == "salesqualifiedlead"
    assert cy["properties"] == {"lifecyclestage": "customer"}  # untouched
    # one upsert, of the two leads that may be written, and nothing on the re-run
    assert crm.upserted_emails() == ["ada@corp.example", "Bea@Corp.example"]
    assert len(crm.requests_to(HS_READ)) == 1
    rows = outbox(root)
    assert {lead: row["status"] for lead, row in rows.items()} == {
        "L1": "sent",
        "L2": "sent",
        "L3": "skipped",
    }
    assert rows["L2"]["crm_record_id"] == "501"
    assert (
        rows["L3"]["note"] == "HubSpot lifecycle stage is already 'customer': not moved back to SQL"
    )
    assert all(row["attempts"] == 1 for row in rows.values())
    assert json.loads(rows["L1"]["payload"])["email"] == "ada@corp.example"

    metadata = materialization_metadata(first, PUSH)
    assert metadata["results_this_run"] == {"sent": 2, "skipped": 1}
    assert metadata["delivery"] == "pushed to hubspot: 2 sent, 1 skipped"
    assert (
        materialization_metadata(second, PUSH)["delivery"] == "pushed to hubspot: nothing pending"
    )
    assert check_result(first, "crm_push_succeeded").passed
    # the run's per-lead results, and the manual-import CSV, are written as always
    with (root / "output" / "crm_push" / f"crm_push_{AS_OF}.csv").open(newline="") as handle:
        assert [(r["lead_id"], r["status"]) for r in csv.DictReader(handle)] == [
            ("L1", "sent"),
            ("L2", "sent"),
            ("L3", "skipped"),
        ]
    assert (root / "output" / "sql_handoffs" / f"new_sqls_{AS_OF}.csv").exists()
    # the token never shows in events, logs, metadata or files
    assert TOKEN not in everything_said(first, root / "output")


def test_batches_hold_at_most_100_contacts_and_each_contact_once(root):
    sqls = [sql_row(f"L{n:03}", f"lead{n}@corp.example") for n in range(230)]
    # a lead qualified twice (recycled in between) and a lead sharing another's e-mail, both
    # sorted into the first batch's range: HubSpot would refuse a batch naming a contact twice
    sqls.append(sql_row("L000", "lead0@corp.example", sql_at="2026-11-17 09:00:00"))
    sqls.append(sql_row("L0015", "LEAD1@corp.example"))
    replace_marts(root, sqls, [])
    crm = FakeCrm(token=TOKEN)
    with FakeCrmServer(crm) as server:
        result = run_outbound(root, AS_OF, crm=hubspot(server))
    assert result.success, failure_messages(result)
    upserts = crm.requests_to(HS_UPSERT)
    assert [len(entry.body["inputs"]) for entry in upserts] == [100, 100, 32]
    assert {entry.status for entry in upserts} == {200}
    for entry in upserts:
        emails = [item["id"].lower() for item in entry.body["inputs"]]
        assert len(set(emails)) == len(emails)
    assert {"lead0@corp.example", "lead1@corp.example"} <= {
        item["id"].lower() for item in upserts[1].body["inputs"]
    }
    assert len(crm.upserted_emails()) == 232
    assert materialization_metadata(result, PUSH)["outbox_by_status"] == {"sent": 232}


def test_throttling_and_server_errors_are_retried_honouring_retry_after(root):
    replace_marts(root, [sql_row("L1", "ada@corp.example")], [])
    crm = FakeCrm(
        token=TOKEN,
        # the read is throttled (wait 1 s), then fails twice: 500, then too slow to answer
        faults=[("status", 429, 1), ("status", 500, None), ("slow", 1.0)],
    )
    with FakeCrmServer(crm) as server:
        result = run_outbound(root, AS_OF, crm=hubspot(server, timeout_seconds=0.3))
    assert result.success, failure_messages(result)
    reads = crm.requests_to(HS_READ)
    assert [entry.status for entry in reads] == [429, 500, -1, 207]  # -1: timed out
    assert reads[1].at - reads[0].at >= 1.0  # Retry-After honoured
    assert reads[1].at - reads[0].at < 2.0
    assert crm.upserted_emails() == ["ada@corp.example"]
    assert outbox(root)["L1"]["status"] == "sent"


def test_a_crm_that_stays_down_keeps_sqls_pending_for_the_next_run(root):
    replace_marts(root, [sql_row("L1", "ada@corp.example")], [])
    crm = FakeCrm(token=TOKEN, faults=[("status", 503, None)] * 3)
    with FakeCrmServer(crm) as server:
        down = run_outbound(root, AS_OF, crm=hubspot(server, max_retries=2))
        assert down.success, failure_messages(down)
        row = outbox(root)["L1"]
        assert (row["status"], row["attempts"]) == ("pending", 1)
        assert row["last_error"] == (f"POST {HS_READ}: HTTP 503 after 3 attempts")
        check = check_result(down, "crm_push_succeeded")
        assert not check.passed
        assert "HTTP 503 after 3 attempts" in check.description
        assert materialization_metadata(down, PUSH)["delivery"] == (
            f"push to hubspot stopped: POST {HS_READ}: HTTP 503 after 3 attempts (1 retry)"
        )
        back = run_outbound(root, "2026-11-21", crm=hubspot(server, max_retries=2))
    assert back.success, failure_messages(back)
    assert outbox(root)["L1"]["status"] == "sent"
    assert crm.upserted_emails() == ["ada@corp.example"]
    assert check_result(back, "crm_push_succeeded").passed


def test_partial_failure_retries_only_the_failed_lead_then_marks_it_dead(root):
    replace_marts(
        root,
        [sql_row("L1", "ada@corp.example"), sql_row("L2", "bad@corp.example")],
        [],
    )
    crm = FakeCrm(token=TOKEN, reject={"bad@corp.example"})
    with FakeCrmServer(crm) as server:
        first = run_outbound(root, AS_OF, crm=hubspot(server, max_attempts=2))
        after_first = outbox(root)
        second = run_outbound(root, "2026-11-21", crm=hubspot(server, max_attempts=2))
        third = run_outbound(root, "2026-11-22", crm=hubspot(server, max_attempts=2))
    assert after_first["L1"]["status"] == "sent"
    assert after_first["L2"]["status"] == "pending"
    assert after_first["L2"]["last_error"] == (
        "VALIDATION_ERROR: Property values were not valid for bad@corp.example"
    )
    assert check_result(first, "crm_push_succeeded").passed  # it will be retried
    assert materialization_metadata(first, PUSH)["results_this_run"] == {"retry": 1, "sent": 1}
    final = outbox(root)
    assert (final["L2"]["status"], final["L2"]["attempts"]) == ("dead", 2)
    died = check_result(second, "crm_push_succeeded")
    assert not died.passed
    assert died.description == "1 SQL(s) failed 2 times and are now dead"
    assert "bad@corp.example" in died.metadata["dead_sqls"].value
    # the sent lead went once; the dead one is not tried again
    assert crm.upserted_emails() == ["ada@corp.example", "bad@corp.example", "bad@corp.example"]
    assert materialization_metadata(third, PUSH)["delivery"] == "pushed to hubspot: nothing pending"


def test_wrong_token_sends_nothing_and_costs_no_attempt(root, monkeypatch):
    replace_marts(root, [sql_row("L1", "ada@corp.example")], [])
    crm = FakeCrm(token="the-right-one")
    with FakeCrmServer(crm) as server:
        refused = run_outbound(root, AS_OF, crm=hubspot(server))
        assert refused.success, failure_messages(refused)
        row = outbox(root)["L1"]
        assert (row["status"], row["attempts"]) == ("pending", 0)
        assert row["last_error"] == f"POST {HS_READ}: HTTP 401 (check the token and its scopes)"
        assert not check_result(refused, "crm_push_succeeded").passed
        assert materialization_metadata(refused, PUSH)["delivery"] == (
            f"push to hubspot stopped: POST {HS_READ}: HTTP 401 (check the token and its scopes)"
        )
        assert len(crm.log) == 1  # no retry of an auth failure
        assert TOKEN not in everything_said(refused, root / "output")

        monkeypatch.setenv("TEST_CRM_TOKEN", "the-right-one")
        fixed = run_outbound(root, AS_OF, crm=hubspot(server))
    assert fixed.success, failure_messages(fixed)
    assert outbox(root)["L1"]["status"] == "sent"


def test_crash_after_the_crm_applied_a_push_does_not_push_twice(root):
    """The pushing process is killed after HubSpot applied the upsert, before it recorded it."""
    replace_marts(root, [sql_row("L1", "ada@corp.example"), sql_row("L2", "bea@corp.example")], [])
    crm = FakeCrm(token=TOKEN)
    with FakeCrmServer(crm) as server:
        # a dry run records the hand-off and queues both SQLs without sending anything
        assert run_outbound(root, AS_OF, crm=hubspot(server, dry_run=True)).success
        script = textwrap.dedent(
            f"""
            import duckdb
            from orchestration import outbox
            from orchestration.crm import HubSpotClient
            from orchestration.http_json import RetryPolicy
            connection = duckdb.connect({str(root / "lead_scoring.duckdb")!r})
            client = HubSpotClient({server.url!r}, {TOKEN!r}, RetryPolicy(timeout_seconds=5))
            outbox.push_pending(connection, client, max_attempts=5)
            """
        )
        process = subprocess.Popen([sys.executable, "-c", script])
        crm.kill_after_write = process.pid
        assert process.wait(timeout=30) == -9  # killed mid-push
        assert outbox(root)["L1"]["status"] == "pending"  # nothing recorded...
        assert (
            crm.contacts["ada@corp.example"]["properties"]["lifecyclestage"] == "salesqualifiedlead"
        )

        rerun = run_outbound(root, AS_OF, crm=hubspot(server))
    assert rerun.success, failure_messages(rerun)
    rows = outbox(root)
    assert {lead: row["status"] for lead, row in rows.items()} == {"L1": "sent", "L2": "sent"}
    assert rows["L1"]["note"] == "already in the CRM: an earlier run sent it"
    assert rows["L1"]["attempts"] == 2
    # ...and the CRM saw one write per contact: the re-run read the push key and sent nothing
    assert crm.upserted_emails() == ["ada@corp.example", "bea@corp.example"]
    assert crm.contacts["ada@corp.example"]["changes"] == 1


def test_salesforce_updates_open_leads_and_reports_each_failure(root):
    crm = FakeCrm(
        token=TOKEN,
        leads={
            "00Q000000000001AAA": {"Status": "Open - Not Contacted", "IsConverted": False},
            "00Q000000000002AAA": {"Status": "Closed - Converted", "IsConverted": True},
            "00Q000000000003AAA": {"Status": "Working - Contacted", "IsConverted": False},
        },
        reject={"00Q000000000003AAA"},
    )
    replace_marts(
        root,
        [
            sql_row("00Q000000000001AAA", "ada@corp.example"),
            sql_row("00Q000000000002AAA", "bea@corp.example"),
            sql_row("00Q000000000003AAA", "cy@corp.example"),
            sql_row("00Q000000000004AAA", "dee@corp.example"),  # deleted in Salesforce
        ],
        [],
    )
    with FakeCrmServer(crm) as server:
        salesforce = hubspot(server, target="salesforce", salesforce_sql_status="Sales Qualified")
        result = run_outbound(root, AS_OF, crm=salesforce)
        again = run_outbound(root, AS_OF, crm=salesforce)
    assert result.success and again.success, failure_messages(result)
    [update] = [entry for entry in crm.log if entry.method == "PATCH"][:1]
    assert update.path == SF
    assert update.body["allOrNone"] is False
    first_record = update.body["records"][0]
    assert first_record["attributes"] == {"type": "Lead"}
    assert first_record["Status"] == "Sales Qualified"
    assert first_record["Lead_Score__c"] == 102.97
    ada = crm.leads["00Q000000000001AAA"]
    assert (ada["Status"], ada["SQL_Reason__c"]) == ("Sales Qualified", "hand_raise:demo_request")
    assert crm.leads["00Q000000000002AAA"]["Status"] == "Closed - Converted"  # never reopened
    rows = outbox(root)
    assert {
        lead[-4:]: (row["status"], row["last_error"] or row["note"]) for lead, row in rows.items()
    } == {
        "1AAA": ("sent", None),
        "2AAA": ("skipped", "Salesforce Lead is already converted: not moved back to SQL"),
        "3AAA": ("pending", "FIELD_CUSTOM_VALIDATION_EXCEPTION: Score fields are locked"),
        "4AAA": ("pending", "no such Lead in Salesforce"),
    }
    # the re-run retries the two failures only
    assert crm.sf_updated_ids() == [
        "00Q000000000001AAA",
        "00Q000000000003AAA",
        "00Q000000000003AAA",
    ]


def test_dry_run_writes_what_would_be_sent_and_sends_nothing(root, monkeypatch):
    monkeypatch.delenv("TEST_CRM_TOKEN")  # a dry run needs no token
    replace_marts(root, [sql_row("L1", "ada@corp.example"), sql_row("L2", "bea@corp.example")], [])
    crm = FakeCrm(token=TOKEN)
    with FakeCrmServer(crm) as server:
        result = run_outbound(root, AS_OF, crm=hubspot(server, dry_run=True))
    assert result.success, failure_messages(result)
    assert crm.log == []
    metadata = materialization_metadata(result, PUSH)
    assert metadata["delivery"] == (
        f"dry run: nothing sent; 2 SQL(s) would be pushed to hubspot in 1 request(s), "
        f"written to crm_push_{AS_OF}.dry_run.json"
    )
    [request] = json.loads(
        (root / "output" / "crm_push" / f"crm_push_{AS_OF}.dry_run.json").read_text()
    )
    assert request["url"] == server.url + HS_UPSERT
    assert [item["id"] for item in request["body"]["inputs"]] == [
        "ada@corp.example",
        "bea@corp.example",
    ]
    assert {row["status"] for row in outbox(root).values()} == {"pending"}


def test_without_a_crm_nothing_is_sent_and_metadata_says_so(root):
    replace_marts(root, [sql_row("L1", "ada@corp.example")], [])
    result = run_outbound(root, AS_OF)
    assert result.success, failure_messages(result)
    metadata = materialization_metadata(result, PUSH)
    assert metadata["delivery"] == (
        "nothing sent: no CRM configured (LEAD_SCORING_CRM=none); "
        "the hand-off CSV is for manual import"
    )
    assert outbox(root)["L1"]["status"] == "manual"
    assert check_result(result, "crm_push_succeeded").passed


@pytest.mark.parametrize(
    ("contract", "model", "columns"),
    [
        ("lifecycle/_lifecycle__models.yml", "rpt_new_sqls", NEW_SQLS_COLUMNS),
        ("sla/_sla__models.yml", "rpt_sla_breaches", BREACH_COLUMNS),
    ],
)
def test_hand_made_marts_match_the_dbt_contracts(contract, model, columns):
    """The outbound tests stand in for the two marts: they must stay what dbt guarantees."""
    path = ROOT / "dbt_project" / "models" / "marts" / contract
    [definition] = [m for m in yaml.safe_load(path.read_text())["models"] if m["name"] == model]
    assert definition["config"]["contract"]["enforced"] is True
    assert {c["name"]: c["data_type"] for c in definition["columns"]} == columns


def test_outbound_settings_come_from_the_environment_and_are_checked():
    from orchestration.settings import Settings

    defaults = Settings.from_env({})
    assert (defaults.crm_target, defaults.crm_dry_run, defaults.smtp_host) == ("none", False, "")
    hubspot = Settings.from_env(
        {
            "LEAD_SCORING_CRM": "HubSpot",
            "LEAD_SCORING_CRM_DRY_RUN": "true",
            "LEAD_SCORING_SMTP_SECURITY": "ssl",
            "LEAD_SCORING_SMTP_PORT": "465",
            "LEAD_SCORING_HUBSPOT_TOKEN": TOKEN,
        }
    )
    assert hubspot.crm_target == "hubspot"
    assert hubspot.crm_base_url == "https://api.hubapi.com"
    # the setting names the variable; the token itself is read only when pushing
    assert hubspot.crm_token_env_var == "LEAD_SCORING_HUBSPOT_TOKEN"
    assert TOKEN not in repr(hubspot)
    assert (hubspot.crm_dry_run, hubspot.smtp_security, hubspot.smtp_port) == (True, "ssl", 465)
    with pytest.raises(
        ValueError, match="LEAD_SCORING_CRM='pipedrive' should be one of none, hubspot, salesforce"
    ):
        Settings.from_env({"LEAD_SCORING_CRM": "pipedrive"})
    with pytest.raises(ValueError, match="LEAD_SCORING_SMTP_PORT='twenty-five' is not a number"):
        Settings.from_env({"LEAD_SCORING_SMTP_PORT": "twenty-five"})


def test_a_redirect_is_not_followed_so_the_token_goes_nowhere_else(root):
    replace_marts(root, [sql_row("L1", "ada@corp.example")], [])
    elsewhere = FakeCrm(token=TOKEN)
    with FakeCrmServer(elsewhere) as other:
        crm = FakeCrm(token=TOKEN, faults=[("redirect", other.url + HS_READ)])
        with FakeCrmServer(crm) as server:
            result = run_outbound(root, AS_OF, crm=hubspot(server))
    assert result.success, failure_messages(result)
    assert elsewhere.log == []
    row = outbox(root)["L1"]
    assert (row["status"], row["last_error"]) == (
        "pending",
        f'POST {HS_READ}: HTTP 302 {{"moved": true}}',
    )


def test_backoff_grows_with_jitter_and_waits_at_least_retry_after():
    policy = RetryPolicy(backoff_base_seconds=0.5, backoff_max_seconds=60)
    for retry in range(6):
        delays = [policy.delay(retry, None) for _ in range(200)]
        ceiling = min(60, 0.5 * 2**retry)
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2  # spread out, not one fixed wait
    assert all(policy.delay(0, 7.0) >= 7.0 for _ in range(50))
    assert parse_retry_after("3") == 3.0
    in_ten_seconds = email.utils.format_datetime(
        dt.datetime.now(dt.UTC) + dt.timedelta(seconds=10), usegmt=True
    )
    assert 8 < parse_retry_after(in_ten_seconds) <= 10
    assert parse_retry_after("soon") is None


def test_a_hubspot_lead_without_email_is_reported_not_sent(root):
    replace_marts(root, [sql_row("L1", None), sql_row("L2", "bea@corp.example")], [])
    crm = FakeCrm(token=TOKEN)
    with FakeCrmServer(crm) as server:
        result = run_outbound(root, AS_OF, crm=hubspot(server))
    assert result.success, failure_messages(result)
    rows = outbox(root)
    assert (rows["L1"]["status"], rows["L1"]["last_error"]) == (
        "pending",
        "no e-mail: HubSpot contacts are matched on it",
    )
    assert rows["L2"]["status"] == "sent"
    assert crm.upserted_emails() == ["bea@corp.example"]

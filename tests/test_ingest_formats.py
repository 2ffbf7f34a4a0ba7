"""Every accepted export layout lands in the canonical raw tables, in UTC, with bad rows quarantined.

The fixtures in tests/fixtures/exports use the real headers of export_formats.md: Salesforce
Data Export files (all values quoted, CRLF, one with a byte-order mark and a non-UTF-8 byte),
a HubSpot contacts UI export re-saved by a European Excel (semicolons, Windows-1252, naive
portal-time timestamps), a HubSpot companies export (a quoted newline), a HubSpot deals file
written by an API script (internal names, epoch milliseconds), a Marketo bulk activity extract
(the documentation's sample rows plus one row per mapping case) and canonical JSON Lines.
The portal time zone is Europe/Berlin (UTC+1 in November).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.canonical import RAW_TABLES, RAW_TABLES_BY_NAME
from orchestration.formats import FORMATS, detect
from orchestration.loader import load_table

EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"
BERLIN = "Europe/Berlin"


@pytest.fixture
def connection(tmp_path: Path):
    with duckdb.connect(str(tmp_path / "lead_scoring.duckdb")) as connection:
        connection.execute("set TimeZone = 'UTC'")
        yield connection


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing"
    shutil.copytree(EXPORTS, folder)
    return folder


def load_all(connection, landing: Path, time_zone: str = BERLIN) -> dict:
    return {table.name: load_table(connection, table, landing, time_zone) for table in RAW_TABLES}


def rows(connection, sql: str) -> list[tuple]:
    return connection.execute(sql).fetchall()


def test_each_file_is_recognised_by_its_header(connection, landing):
    reports = load_all(connection, landing)
    assert all(report.errors == [] for report in reports.values())
    assert rows(
        connection,
        "select file_name, table_name, file_format, encoding, rows_read, rows_loaded, "
        "rows_rejected, rows_unmapped, status from raw.load_ledger order by file_name",
    ) == [
        ("Account.csv", "crm_accounts", "salesforce_account_csv", "utf-8", 3, 2, 1, 0, "loaded"),
        ("Contact.csv", "crm_leads", "salesforce_contact_csv", "utf-8", 2, 2, 0, 0, "loaded"),
        # "Recycled" is no default Lead.Status: kept, counted as unmapped
        ("Lead.csv", "crm_leads", "salesforce_lead_csv", "utf-8", 5, 3, 2, 1, "loaded"),
        ("Opportunity.csv", "crm_opportunities", "salesforce_opportunity_csv", "utf-8", 3, 2, 1, 0, "loaded"),
        ("Task.csv", "crm_tasks", "salesforce_task_csv", "utf-8", 2, 2, 0, 0, "loaded"),
        # 8 good rows, the same event exported twice, a bad date, a short line; one unknown type
        ("bulk_activity_export_2026-11-20.csv", "marketing_activities", "marketo_activities_csv",
         "utf-8", 11, 9, 2, 1, "loaded"),
        ("hubspot-crm-exports-all-companies-2026-11-20.csv", "crm_accounts",
         "hubspot_companies_csv", "utf-8", 1, 1, 0, 0, "loaded"),
        ("hubspot-crm-exports-all-contacts-2026-11-20.csv", "crm_leads", "hubspot_contacts_csv",
         "windows-1252", 3, 2, 1, 0, "loaded"),
        ("hubspot-deals-api-2026-11-20.csv", "crm_opportunities", "hubspot_deals_csv", "utf-8",
         2, 2, 0, 0, "loaded"),
        ("marketing_activities_webhook.jsonl", "marketing_activities",
         "canonical_marketing_activities_jsonl", "binary", 2, 2, 0, 0, "loaded"),
    ]  # fmt: skip


def test_salesforce_and_hubspot_people_map_onto_crm_leads(connection, landing):
    load_all(connection, landing)
    leads = {
        row[0]: row[1:]
        for row in rows(
            connection,
            "select lead_id, email, company, domain, employees, status, account_id, lead_source, "
            "owner_id, record_type, created_at, updated_at from raw.crm_leads",
        )
    }
    assert leads["00Q000000000001AAA"] == (
        "Ada@Analytical.io",  # normalised in staging, kept as exported here
        "Analytical Engines, Inc.",
        "analytical.io",  # from Website https://www.analytical.io/about
        250,
        "working",  # Working - Contacted
        None,
        "Web",
        "005000000000001AAA",
        "lead",
        dt.datetime(2026, 11, 2, 9, 15),
        dt.datetime(2026, 11, 18, 14, 3, 27),
    )
    # a converted lead is converted, and points at its account
    assert leads["00Q000000000002AAA"][4:6] == ("converted", "001000000000001AAA")
    assert leads["00Q000000000005AAA"][4] == "Recycled"
    assert leads["003000000000002AAA"][5] == "001000000000001AAA"
    assert leads["003000000000002AAA"][8] == "contact"
    # HubSpot: labels and internal values both mapped; Windows-1252 text read correctly;
    # portal time (Berlin, UTC+1) stored as UTC
    assert leads["51"] == (
        "jose.mueller@muller.example",
        None,
        None,
        45,
        "working",  # In Progress
        "9001",
        "Organic Search",
        "Jürgen Owner",
        "contact",
        dt.datetime(2026, 11, 1, 7, 0),
        dt.datetime(2026, 11, 18, 9, 37),
    )
    assert leads["52"][4:7] == ("nurture", None, "Direct")  # BAD_TIMING, DIRECT_TRAFFIC
    # lifecycle stages: labels and internal values both become internal values
    assert rows(
        connection,
        "select lead_id, lifecycle_stage from raw.crm_leads where lead_id in ('51', '52') order by 1",
    ) == [("51", "marketingqualifiedlead"), ("52", "lead")]
    names = rows(
        connection, "select first_name, last_name, title from raw.crm_leads where lead_id = '51'"
    )
    assert names == [("José", "Müller", "Geschäftsführer")]


def test_accounts_opportunities_and_tasks(connection, landing):
    load_all(connection, landing)
    assert rows(
        connection, "select account_id, name, domain, country, created_at from raw.crm_accounts order by 1"
    ) == [
        ("001000000000001AAA", "Navy Systems", "navy.example", "United States", dt.datetime(2026, 9, 1, 8)),
        ("001000000000002AAA", "Société Générale d'Exemple", "societe.example", "France", dt.datetime(2026, 9, 2, 8)),
        ("9001", "Müller GmbH", "muller.example", "Germany", dt.datetime(2026, 10, 1, 7, 30)),
    ]  # fmt: skip
    assert rows(
        connection,
        "select opportunity_id, lead_id, stage, amount, is_closed, is_won, closed_at, updated_at "
        "from raw.crm_opportunities order by 1",
    ) == [
        # CloseDate is a date: midnight in the source time zone
        ("006000000000001AAA", "003000000000002AAA", "Closed Won", 50000.0, True, True,
         dt.datetime(2026, 11, 9, 23), dt.datetime(2026, 11, 10, 16)),
        # an open opportunity's CloseDate is only expected: no closed_at
        ("006000000000003AAA", "003000000000009AAA", "Needs Analysis", 12000.0, False, False, None, None),
        # epoch milliseconds; the stage id mapped to its label
        ("7001", "51", "Closed Won", 42000.0, True, True, dt.datetime(2026, 11, 15, 10),
         dt.datetime(2026, 11, 15, 10)),
        ("7002", "51", "Qualified To Buy", 8000.0, False, False, None, None),
    ]  # fmt: skip
    assert rows(
        connection, "select task_id, lead_id, task_type, status, occurred_at from raw.crm_tasks order by 1"
    ) == [
        ("00T000000000001AAA", "003000000000002AAA", "call", "completed", dt.datetime(2026, 11, 12, 15, 30)),
        ("00T000000000002AAA", "00Q000000000001AAA", "email", "open", dt.datetime(2026, 11, 18, 23)),
    ]  # fmt: skip


def test_marketo_activity_types_map_to_canonical_ones(connection, landing):
    load_all(connection, landing)
    activities = rows(
        connection,
        "select activity_id, lead_id, email, activity_type, occurred_at, url, form_name, campaign, "
        "detail from raw.marketing_activities where _source_file like 'bulk%' order by _source_row",
    )
    assert activities == [
        ("783957693", "5414087", None, "program_status_change", dt.datetime(2022, 2, 13, 14, 6, 20),
         None, None, "8497", "On List"),
        ("783958220", "5414094", None, "webinar_attended", dt.datetime(2022, 2, 13, 14, 8, 50),
         None, None, "17240", "Attended"),
        ("900000001", "5500001", None, "web_visit", dt.datetime(2026, 11, 18, 14),
         "https://www.example-saas.com/pricing", None, None, None),
        ("900000002", "5500001", None, "form_fill", dt.datetime(2026, 11, 18, 14, 5), None,
         "Demo Request Form", None, None),
        ("900000003", "5500002", None, "email_open", dt.datetime(2026, 11, 18, 6, 56, 35), None,
         None, "9001", None),
        ("900000004", "5500003", "Grace@Navy.example", "email_bounce", dt.datetime(2026, 11, 17, 9),
         None, None, "9001", "hard"),
        # the older attributes shape: a list of {name, value}
        ("900000005", "5500003", None, "webinar_registered", dt.datetime(2026, 11, 17, 9, 30), None,
         None, "17240", "Registered"),
        # an unknown (custom) type is kept, recognisable, and counted; `null` cells are empty
        ("900000006", "5500004", None, "marketo_activity_100123", dt.datetime(2026, 11, 16, 11),
         None, None, None, None),
        # exported twice: both rows land (append-only); staging keeps one
        ("900000001", "5500001", None, "web_visit", dt.datetime(2026, 11, 18, 14),
         "https://www.example-saas.com/pricing", None, None, None),
    ]  # fmt: skip
    # canonical JSON Lines: an offset and epoch milliseconds, both to UTC
    assert rows(
        connection,
        "select activity_id, activity_type, occurred_at from raw.marketing_activities "
        "where _source_file like '%.jsonl' order by 1",
    ) == [
        ("WH-1", "webinar_attended", dt.datetime(2026, 11, 19, 21)),
        ("WH-2", "web_visit", dt.datetime(2026, 11, 19, 10)),
    ]


def test_bad_rows_are_quarantined_with_file_line_text_and_reason(connection, landing):
    load_all(connection, landing)
    rejected = rows(
        connection,
        "select source_file, source_row, source_line, raw_record, reason from raw.rejected_rows "
        "order by source_file, source_row, source_line",
    )
    by_file = {}
    for file, row, line, record, reason in rejected:
        by_file.setdefault(file, []).append((row, line, record, reason))
    [(row, line, record, reason)] = by_file["Account.csv"]
    assert (row, line) == (None, 4)  # header is line 1
    assert "Broken" in record and reason.startswith("INVALID ENCODING")
    lead_reasons = [(row, reason) for row, _, _, reason in by_file["Lead.csv"]]
    assert lead_reasons == [
        (3, 'created_at: expected an ISO-8601 timestamp, got "sometime in 2026"'),
        (4, "lead_id: required value missing"),
    ]
    assert by_file["Lead.csv"][1][2].startswith(",false,,Id,No,")  # the row as exported
    assert [(r, reason) for r, _, _, reason in by_file["hubspot-crm-exports-all-contacts-2026-11-20.csv"]] == [
        (3, 'created_at: expected an ISO-8601 timestamp, got "31/02/2026"')
    ]  # fmt: skip
    assert [(r, reason) for r, _, _, reason in by_file["Opportunity.csv"]] == [
        (2, 'amount: expected a number, got "lots"')
    ]
    marketo = by_file["bulk_activity_export_2026-11-20.csv"]
    assert marketo[0][0] == 10
    assert marketo[0][3] == 'occurred_at: expected an ISO-8601 timestamp, got "yesterday"'
    assert marketo[1][1] == 12 and marketo[1][2] == "900000008,5500006,2026-11-18T10:00:00Z,1"
    assert marketo[1][3] == "MISSING COLUMNS: Expected Number of Columns: 8 Found: 4"


def test_re_running_loads_nothing_twice_and_a_changed_file_loads_as_new_versions(
    connection, landing
):
    load_all(connection, landing)
    before = {
        t.name: rows(connection, f"select count(*) from raw.{t.name}")[0][0] for t in RAW_TABLES
    }
    again = load_all(connection, landing)
    assert sum(len(r.files_loaded) for r in again.values()) == 0
    assert sum(len(r.files_skipped) for r in again.values()) == 10
    after = {
        t.name: rows(connection, f"select count(*) from raw.{t.name}")[0][0] for t in RAW_TABLES
    }
    assert after == before
    # the same content under another name is not loaded again either
    shutil.copy(landing / "Task.csv", landing / "Task copy.csv")
    assert load_all(connection, landing)["crm_tasks"].files_skipped == ["Task copy.csv", "Task.csv"]
    # a corrected re-export under the same name: appended, marked, staging keeps the latest
    task = landing / "Task.csv"
    task.write_bytes(task.read_bytes().replace(b'"Not Started"', b'"Completed"'))
    changed = load_all(connection, landing)["crm_tasks"]
    assert (changed.files_loaded, changed.rows_loaded) == (["Task.csv"], 2)
    assert rows(
        connection,
        "select status from raw.load_ledger where file_name = 'Task.csv' order by loaded_at",
    ) == [("loaded",), ("loaded_changed_file",)]


def test_naive_timestamps_follow_the_configured_time_zone(connection, landing):
    load_all(connection, landing, time_zone="America/New_York")
    # HubSpot's "2026-11-01 08:00" in New York: daylight saving time ended at 02:00 that
    # morning, so UTC-5
    assert rows(connection, "select created_at from raw.crm_leads where lead_id = '51'") == [
        (dt.datetime(2026, 11, 1, 13, 0),)
    ]
    # an explicit offset or Z is unaffected
    assert rows(
        connection, "select created_at from raw.crm_leads where lead_id = '00Q000000000001AAA'"
    ) == [(dt.datetime(2026, 11, 2, 9, 15),)]


def test_parquet_of_the_canonical_columns_loads_and_missing_optional_columns_are_null(
    connection, tmp_path
):
    landing = tmp_path / "parquet_landing"
    landing.mkdir()
    connection.execute(
        "copy (select 'P1' as lead_id, 'p1@example.com' as email, "
        "timestamptz '2026-11-01 10:00:00+02' as created_at, 120 as employees) "
        f"to '{landing / 'crm_leads_warehouse.parquet'}' (format parquet)"
    )
    report = load_table(connection, RAW_TABLES_BY_NAME["crm_leads"], landing)
    assert (report.errors, report.rows_loaded) == ([], 1)
    assert rows(
        connection,
        "select lead_id, email, employees, created_at, company, status from raw.crm_leads",
    ) == [("P1", "p1@example.com", 120, dt.datetime(2026, 11, 1, 8), None, None)]
    assert rows(connection, "select file_format from raw.load_ledger") == [
        ("canonical_crm_leads_parquet",)
    ]


def test_unreadable_files_fail_with_the_columns_found_and_the_format_expected(connection, tmp_path):
    landing = tmp_path / "bad_landing"
    (landing / "salesforce_lead").mkdir(parents=True)
    shutil.copy(EXPORTS / "Task.csv", landing / "Task.csv")
    # shares no column with any format: reported by raw/crm_leads, the main export
    (landing / "notes.csv").write_text("Note,Body\nhello,world\n")
    (landing / "export.csv").write_bytes(b"PK\x03\x04\x00\x00binary\x00zip")
    (landing / "Lead_empty.csv").write_bytes(b"")
    (landing / "README.txt").write_text("not an export: left alone\n")
    (landing / "archive").mkdir()  # not named after a format: left alone
    shutil.copy(EXPORTS / "Lead.csv", landing / "archive" / "Lead.csv")
    (landing / "crm_accounts_pipes.csv").write_text(
        "account_id|name|created_at\nA1|Acme|2026-11-01T00:00:00Z\n"
    )
    # declared by its folder: a Salesforce Lead file without CreatedDate
    (landing / "salesforce_lead" / "Lead.csv").write_text(
        "Id,Company,Status,Email\n00Q1,Acme,Open,a@acme.com\n"
    )
    reports = load_all(connection, landing)
    errors = {name: report.errors for name, report in reports.items() if report.errors}
    assert set(errors) == {"crm_leads", "crm_accounts"}
    leads = "\n".join(errors["crm_leads"])
    assert "export.csv: is a binary file, not a text export" in leads
    assert "Lead_empty.csv: the file is empty" in leads
    assert (
        "notes.csv: the header matches no known export format; found columns: Note, Body" in leads
    )
    assert "expected one of: canonical_crm_users (user_id); " in leads
    assert "salesforce_lead (Id, Company, Status, CreatedDate)" in leads
    assert (
        "salesforce_lead/Lead.csv: missing required column(s) CreatedDate for salesforce_lead "
        "(raw.crm_leads); found columns: Id, Company, Status, Email" in leads
    )
    [accounts] = errors["crm_accounts"]
    assert accounts.startswith(
        "crm_accounts_pipes.csv: missing required column(s) account_id, created_at for "
        "canonical_crm_accounts (raw.crm_accounts); found columns: account_id|name|created_at"
    )
    # the good file still loaded; nothing of a bad file is recorded, so it is retried next run
    assert reports["crm_tasks"].files_loaded == ["Task.csv"]
    assert rows(connection, "select file_name from raw.load_ledger") == [("Task.csv",)]


def test_detection_prefers_the_format_that_maps_most_of_the_header():
    lead_header = ["Id", "Name", "Company", "Status", "Industry", "Email", "CreatedDate", "OwnerId"]
    account_header = ["Id", "Name", "Industry", "Website", "CreatedDate", "OwnerId"]
    hubspot_internal = ["hs_object_id", "email", "firstname", "createdate", "lifecyclestage"]
    assert detect(lead_header, FORMATS).name == "salesforce_lead"
    assert detect(account_header, FORMATS).name == "salesforce_account"
    assert detect(hubspot_internal, FORMATS).name == "hubspot_contacts"
    # older HubSpot exports name the id after the object
    old_contacts = [
        "Contact ID",
        "Email",
        "Create Date",
        "Associated Company ID",
        "Lifecycle Stage",
    ]
    assert detect(old_contacts, FORMATS).name == "hubspot_contacts"
    assert detect(["Deal ID", "Deal Name", "Deal Stage", "Amount"], FORMATS).name == "hubspot_deals"
    # Data Loader writes upper-case headers: matched case-insensitively
    assert detect([h.upper() for h in lead_header], FORMATS).name == "salesforce_lead"
    assert detect(["foo", "bar"], FORMATS) is None


def test_activities_without_an_id_get_a_stable_one_from_their_content(connection, tmp_path):
    landing = tmp_path / "hash_landing"
    landing.mkdir()
    header = "activity_id,email,activity_type,occurred_at,url"
    visit = ",a@acme.com,web_visit,2026-11-18T10:00:00Z,https://www.example-saas.com/pricing"
    (landing / "marketing_activities_a.csv").write_text(f"{header}\n{visit}\n")
    # the same event in an overlapping export, and another one
    (landing / "marketing_activities_b.csv").write_text(
        f"{header}\n{visit}\n,a@acme.com,web_visit,2026-11-18T10:05:00Z,https://www.example-saas.com/\n"
    )
    report = load_table(connection, RAW_TABLES_BY_NAME["marketing_activities"], landing)
    assert (report.rows_loaded, report.rows_rejected) == (3, 0)
    ids = rows(
        connection,
        "select activity_id, count(*) from raw.marketing_activities group by 1 order by 2 desc",
    )
    assert [count for _, count in ids] == [2, 1]
    assert all(activity_id.startswith("sha256:") for activity_id, _ in ids)

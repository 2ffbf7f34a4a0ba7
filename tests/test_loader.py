"""Loading landing files: once each, typed, with bad rows quarantined and bad files named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

import orchestration.loader as loader
from orchestration.canonical import RAW_TABLES_BY_NAME
from orchestration.loader import landing_files, load_table

LEADS = RAW_TABLES_BY_NAME["crm_leads"]
ACTIVITIES = RAW_TABLES_BY_NAME["marketing_activities"]
# the original layout: the optional columns added later are left out
LEAD_HEADER = ",".join(
    column for column in LEADS.columns if column not in ("record_type", "lifecycle_stage")
)


@pytest.fixture
def connection(tmp_path: Path):
    with duckdb.connect(str(tmp_path / "lead_scoring.duckdb")) as connection:
        connection.execute("set TimeZone = 'UTC'")
        yield connection


def lead_row(lead_id: str, employees: str = "120", created_at: str = "2026-11-01T10:00:00Z") -> str:
    return (
        f"{lead_id},a@acme.com,Ada,Lovelace,CTO,Acme,acme.com,Software,{employees},1000000,"
        f"United States,Web,U1,new,A1,false,{created_at},{created_at}"
    )


def test_good_rows_load_bad_rows_are_quarantined_with_reasons(tmp_path, connection):
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "crm_leads.csv").write_text(
        "\n".join(
            [
                LEAD_HEADER,
                lead_row("L1"),
                lead_row("L2", employees="lots"),
                lead_row("", created_at="2026-11-01T10:00:00Z"),
                lead_row("L4", created_at="yesterday"),
                lead_row("L5", created_at="2026-11-01T12:00:00+02:00"),
                "L6,too,few,columns",
            ]
        )
        + "\n"
    )
    report = load_table(connection, LEADS, landing)
    assert report.errors == []
    assert report.rows_loaded == 2
    assert report.rows_rejected == 4
    loaded = connection.execute(
        "select lead_id, employees, created_at, _source_file from raw.crm_leads order by lead_id"
    ).fetchall()
    assert loaded == [
        ("L1", 120, dt.datetime(2026, 11, 1, 10, 0), "crm_leads.csv"),
        # an offset is converted to UTC
        ("L5", 120, dt.datetime(2026, 11, 1, 10, 0), "crm_leads.csv"),
    ]
    reasons = [
        row[0]
        for row in connection.execute(
            "select reason from raw.rejected_rows order by source_row nulls last"
        ).fetchall()
    ]
    assert reasons[0] == 'employees: expected a whole number, got "lots"'
    assert reasons[1] == "lead_id: required value missing"
    assert reasons[2].startswith('created_at: expected an ISO-8601 timestamp, got "yesterday"')
    assert reasons[3].startswith("MISSING COLUMNS")
    raw_record = connection.execute(
        "select raw_record from raw.rejected_rows where reason like 'MISSING%'"
    ).fetchone()[0]
    assert raw_record == "L6,too,few,columns"
    ledger = connection.execute(
        "select file_name, rows_read, rows_loaded, rows_rejected, status from raw.load_ledger"
    ).fetchall()
    assert ledger == [("crm_leads.csv", 6, 2, 4, "loaded")]


def test_rows_keep_their_place_in_a_file_read_in_parallel(tmp_path, connection):
    """_source_row is a row's number in the file, for loaded and rejected rows alike, also when
    DuckDB reads a big file in parallel chunks (here about 40 MB, on four threads)."""
    landing = tmp_path / "landing"
    landing.mkdir()
    rows = 400_000
    bad = {1_234, 250_000, rows}  # no timestamp: rejected
    lines = [
        "activity_id,lead_id,email,activity_type,occurred_at,url,form_name,campaign,asset,detail"
    ]
    for number in range(1, rows + 1):
        occurred_at = "" if number in bad else "2026-11-01T10:00:00Z"
        lines.append(
            f"A{number},L{number % 997},p{number}@acme.com,web_visit,{occurred_at},"
            f"https://acme.com/pricing?ref={number:012d},,,,"
        )
    (landing / "marketing_activities.csv").write_text("\n".join(lines) + "\n")
    connection.execute("set threads = 4")
    report = load_table(connection, ACTIVITIES, landing)
    assert (report.rows_loaded, report.rows_rejected) == (rows - len(bad), len(bad))
    misplaced = connection.execute(
        "select count(*) from raw.marketing_activities where activity_id <> 'A' || _source_row"
    ).fetchone()[0]
    assert misplaced == 0
    rejected = connection.execute(
        "select source_row, split_part(raw_record, ',', 1) from raw.rejected_rows order by 1"
    ).fetchall()
    assert rejected == [(number, f"A{number}") for number in sorted(bad)]


def test_the_same_file_loads_once_and_a_changed_file_is_recorded(tmp_path, connection):
    landing = tmp_path / "landing"
    landing.mkdir()
    path = landing / "crm_leads_2026-11-20.csv"
    path.write_text(f"{LEAD_HEADER}\n{lead_row('L1')}\n")
    assert load_table(connection, LEADS, landing).rows_loaded == 1
    again = load_table(connection, LEADS, landing)
    assert (again.rows_loaded, again.files_skipped) == (0, ["crm_leads_2026-11-20.csv"])
    path.write_text(f"{LEAD_HEADER}\n{lead_row('L1')}\n{lead_row('L2')}\n")
    changed = load_table(connection, LEADS, landing)
    assert changed.rows_loaded == 2  # appended as new versions; staging keeps the latest
    statuses = connection.execute(
        "select status from raw.load_ledger order by loaded_at"
    ).fetchall()
    assert statuses == [("loaded",), ("loaded_changed_file",)]


def test_an_untouched_file_is_not_read_again_and_a_touched_copy_is_known_by_content(
    tmp_path, connection, monkeypatch
):
    landing = tmp_path / "landing"
    landing.mkdir()
    path = landing / "crm_leads_2026-11-20.csv"
    path.write_text(f"{LEAD_HEADER}\n{lead_row('L1')}\n")
    assert load_table(connection, LEADS, landing).rows_loaded == 1

    hashed = []
    real_scan = loader._scan
    monkeypatch.setattr(
        loader, "_scan", lambda landing: hashed.append(landing.name) or real_scan(landing)
    )
    # same path, size and modification time: skipped without reading its bytes
    again = load_table(connection, LEADS, landing)
    assert (again.rows_loaded, again.files_skipped, hashed) == (0, [path.name], [])
    # rewritten with the same bytes (a new mtime): read, and recognised by its content
    path.write_text(path.read_text())
    touched = load_table(connection, LEADS, landing)
    assert (touched.rows_loaded, touched.files_skipped, hashed) == (0, [path.name], [path.name])


def test_unreadable_files_are_named_and_other_files_still_load(tmp_path, connection):
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "crm_leads_a_empty.csv").write_bytes(b"")
    # semicolons and tabs are recognised; a pipe-delimited file is read as one column
    (landing / "crm_leads_b_pipes.csv").write_text(
        LEAD_HEADER.replace(",", "|") + "\n" + lead_row("L9").replace(",", "|") + "\n"
    )
    (landing / "crm_leads_c_good.csv").write_text(f"{LEAD_HEADER}\n{lead_row('L1')}\n")
    report = load_table(connection, LEADS, landing)
    assert report.files_loaded == ["crm_leads_c_good.csv"]
    assert len(report.errors) == 2
    assert "crm_leads_a_empty.csv: the file is empty" in report.errors[0]
    assert (
        "crm_leads_b_pipes.csv: missing required column(s) lead_id, created_at "
        "for canonical_crm_leads" in report.errors[1]
    )
    assert "found columns: lead_id|email|" in report.errors[1]
    # nothing of a failed file is recorded, so it is tried again next run
    assert connection.execute("select count(*) from raw.load_ledger").fetchone()[0] == 1


def test_landing_files_match_by_table_name_prefix(tmp_path):
    for name in (
        "crm_leads.csv",
        "crm_leads_2026.csv",
        "crm_leadsX.csv",
        "marketing_activities.csv",
    ):
        (tmp_path / name).write_text("x\n")
    assert [p.name for p in landing_files(tmp_path, LEADS)] == [
        "crm_leads.csv",
        "crm_leads_2026.csv",
    ]
    assert [p.name for p in landing_files(tmp_path, ACTIVITIES)] == ["marketing_activities.csv"]
    assert landing_files(tmp_path / "missing", LEADS) == []

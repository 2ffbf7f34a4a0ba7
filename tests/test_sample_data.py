"""Properties of the deterministic sample-export generator (orchestration.sample_data)."""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from orchestration.canonical import ACTIVITY_TYPES
from orchestration.sample_data import COMPETITOR_DOMAINS, PERSONAL_DOMAINS, generate
from orchestration.sample_data.__main__ import main

LEADS = 300  # structural checks
LARGE = 1200  # rates and shares: large enough for stable statistics, still well under a second
END = date(2026, 11, 20)
END_TS = datetime(2026, 11, 20, 23, 59, 59, tzinfo=UTC)
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
REPO_ROOT = Path(__file__).resolve().parents[1]

USERS = "landing/crm_users.csv"
ACCOUNTS = "landing/crm_accounts.csv"
LEADS_CSV = "landing/crm_leads.csv"
OPPS = "landing/crm_opportunities.csv"
TASKS = "landing/crm_tasks.csv"
ACTIVITIES = "landing/marketing_activities.csv"
TRUTH = "truth/leads_truth.csv"

# The canonical layout, spelled out here independently of the generator.
HEADERS = {
    USERS: "user_id,name,email,team,time_zone,is_active",
    ACCOUNTS: "account_id,name,domain,industry,employees,annual_revenue,country,owner_id,"
    "created_at,updated_at",
    LEADS_CSV: "lead_id,email,first_name,last_name,title,company,domain,industry,employees,"
    "annual_revenue,country,lead_source,owner_id,status,account_id,do_not_contact,"
    "created_at,updated_at",
    OPPS: "opportunity_id,account_id,lead_id,name,stage,amount,owner_id,is_closed,is_won,"
    "created_at,closed_at,updated_at",
    TASKS: "task_id,lead_id,owner_id,task_type,subject,status,occurred_at,created_at,updated_at",
    ACTIVITIES: "activity_id,lead_id,email,activity_type,occurred_at,url,form_name,campaign,"
    "asset,detail",
    TRUTH: "lead_id,intent,fit,converted,won",
}
HAND_RAISE_TYPES = {
    "demo_request",
    "contact_request",
    "trial_request",
    "quote_request",
    "inbound_call",
}

TIMESTAMP_COLUMNS = {
    ACCOUNTS: ("created_at", "updated_at"),
    LEADS_CSV: ("created_at", "updated_at"),
    OPPS: ("created_at", "closed_at", "updated_at"),
    TASKS: ("occurred_at", "created_at", "updated_at"),
    ACTIVITIES: ("occurred_at",),
}


def parse_ts(value: str) -> datetime:
    assert ISO.match(value), value
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def read(root: Path, name: str) -> list[dict[str, str]]:
    with (root / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def file_bytes(root: Path) -> dict[str, bytes]:
    return {name: (root / name).read_bytes() for name in HEADERS}


def latest_leads(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    latest: dict[str, dict[str, str]] = {}
    for row in rows:
        current = latest.get(row["lead_id"])
        if current is None or row["updated_at"] > current["updated_at"]:
            latest[row["lead_id"]] = row
    return latest


def resolve_lead(activity: dict[str, str], by_email: dict[str, str]) -> str:
    return activity["lead_id"] or by_email.get(activity["email"].strip().lower(), "")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("sample")
    counts = generate(root, leads=LEADS, seed=7, end_date=END, days=90)
    return root, counts


@pytest.fixture(scope="module")
def data(bundle) -> dict[str, list[dict[str, str]]]:
    root, _ = bundle
    return {name: read(root, name) for name in HEADERS}


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> dict[str, list[dict[str, str]]]:
    root = tmp_path_factory.mktemp("large")
    generate(root, leads=LARGE, seed=11, end_date=END, days=90)
    return {name: read(root, name) for name in HEADERS}


def test_same_seed_is_byte_identical_and_other_seed_differs(bundle, tmp_path):
    root, counts = bundle
    again = tmp_path / "again"
    other = tmp_path / "other"
    assert generate(again, leads=LEADS, seed=7, end_date=END, days=90) == counts
    generate(other, leads=LEADS, seed=8, end_date=END, days=90)
    assert file_bytes(again) == file_bytes(root)
    assert file_bytes(other)[ACTIVITIES] != file_bytes(root)[ACTIVITIES]
    assert file_bytes(other)[LEADS_CSV] != file_bytes(root)[LEADS_CSV]


def test_headers_line_endings_and_counts(bundle, data):
    root, counts = bundle
    for name, header in HEADERS.items():
        raw = (root / name).read_bytes()
        assert b"\r\n" not in raw, name
        assert raw.decode("utf-8").split("\n", 1)[0] == header, name
        assert counts[name] == len(data[name]), name
    assert len(data[TRUTH]) == LEADS
    assert len({row["lead_id"] for row in data[LEADS_CSV]}) == LEADS


def test_ids_are_unique_except_deliberate_lead_re_versions(data):
    for name, key in (
        (USERS, "user_id"),
        (ACCOUNTS, "account_id"),
        (OPPS, "opportunity_id"),
        (TASKS, "task_id"),
        (ACTIVITIES, "activity_id"),
        (TRUTH, "lead_id"),
    ):
        ids = [row[key] for row in data[name]]
        assert len(ids) == len(set(ids)), name
    lead_ids = Counter(row["lead_id"] for row in data[LEADS_CSV])
    twice = {lead_id for lead_id, n in lead_ids.items() if n > 1}
    assert max(lead_ids.values()) == 2
    assert 0.01 * len(lead_ids) <= len(twice) <= 0.05 * len(lead_ids)
    for lead_id in twice:
        first, second = [row for row in data[LEADS_CSV] if row["lead_id"] == lead_id]
        assert second["updated_at"] > first["updated_at"]
        assert (first["status"], first["title"]) != (second["status"], second["title"])
        assert first["created_at"] == second["created_at"]
    # lead emails are unique across leads (the e-mail-only activities rely on it)
    emails = {row["lead_id"]: row["email"] for row in data[LEADS_CSV]}
    assert len(set(emails.values())) == len(emails)
    assert all(email == email.strip().lower() for email in emails.values())


def test_value_sets(data):
    assert {row["team"] for row in data[USERS]} == {"east", "west", "emea"}
    assert {row["activity_type"] for row in data[ACTIVITIES]} <= set(ACTIVITY_TYPES)
    assert {row["status"] for row in data[LEADS_CSV]} <= {
        "new",
        "working",
        "nurture",
        "converted",
        "unqualified",
    }
    assert {row["lead_source"] for row in data[LEADS_CSV]} <= {
        "Web",
        "Organic Search",
        "Paid Search",
        "Email",
        "Social",
        "Referral",
        "Event",
        "Partner",
        "Purchased List",
    }
    assert {row["stage"] for row in data[OPPS]} <= {
        "Qualification",
        "Discovery",
        "Proposal",
        "Negotiation",
        "Closed Won",
        "Closed Lost",
    }
    assert {row["task_type"] for row in data[TASKS]} <= {"call", "email", "meeting"}
    assert {row["status"] for row in data[TASKS]} <= {"completed", "open"}
    for name, column in (
        (USERS, "is_active"),
        (LEADS_CSV, "do_not_contact"),
        (OPPS, "is_closed"),
        (OPPS, "is_won"),
        (TRUTH, "converted"),
        (TRUTH, "won"),
    ):
        assert {row[column] for row in data[name]} <= {"true", "false"}, (name, column)
    bounces = [row for row in data[ACTIVITIES] if row["activity_type"] == "email_bounce"]
    assert bounces and {row["detail"] for row in bounces} <= {"hard", "soft"}
    for row in data[ACTIVITIES]:
        if row["activity_type"] == "web_visit":
            assert row["url"].startswith("https://www.example-saas.com/"), row
        if row["activity_type"] == "form_fill":
            assert row["form_name"], row
    latest = latest_leads(data[LEADS_CSV]).values()
    dnc = sum(row["do_not_contact"] == "true" for row in latest)
    assert 0 < dnc < 0.1 * len(latest)


def test_references_exist(data):
    users = {row["user_id"] for row in data[USERS]}
    accounts = {row["account_id"] for row in data[ACCOUNTS]}
    leads = {row["lead_id"] for row in data[LEADS_CSV]}
    for name in (ACCOUNTS, LEADS_CSV, OPPS, TASKS):
        owners = {row["owner_id"] for row in data[name]} - {""}
        assert owners <= users, name
    for name in (LEADS_CSV, OPPS):
        assert {row["account_id"] for row in data[name]} - {""} <= accounts, name
    for name in (OPPS, TASKS, ACTIVITIES, TRUTH):
        assert {row["lead_id"] for row in data[name]} - {""} <= leads, name
    assert {row["lead_id"] for row in data[TRUTH]} == leads
    assert all(row["owner_id"] for row in data[TASKS] + data[OPPS])
    # business leads copy their account's domain
    domain_of = {row["account_id"]: row["domain"] for row in data[ACCOUNTS]}
    for row in data[LEADS_CSV]:
        if row["account_id"]:
            assert row["domain"] == domain_of[row["account_id"]]
            assert row["email"].endswith("@" + row["domain"])


def test_timestamps_parse_and_end_by_end_date(data):
    for name, columns in TIMESTAMP_COLUMNS.items():
        for row in data[name]:
            for column in columns:
                if column == "closed_at" and not row[column]:
                    continue
                assert parse_ts(row[column]) <= END_TS, (name, column, row)
            if "updated_at" in row:
                assert row["updated_at"] >= row["created_at"], (name, row)
    occurred = [row["occurred_at"] for row in data[ACTIVITIES]]
    assert occurred == sorted(occurred)
    window_start = datetime(2026, 8, 23, tzinfo=UTC)
    assert min(parse_ts(t) for t in occurred) >= window_start
    # leads exist before their activities
    created = {row["lead_id"]: row["created_at"] for row in data[LEADS_CSV]}
    for row in data[ACTIVITIES]:
        if row["lead_id"]:
            assert row["occurred_at"] >= created[row["lead_id"]], row
    # some leads were already in the CRM before the window
    assert any(parse_ts(c) < window_start for c in created.values())


def test_opportunities_consistent(data):
    opps = data[OPPS]
    assert opps
    for row in opps:
        closed = row["is_closed"] == "true"
        assert bool(row["closed_at"]) == closed
        assert row["stage"].startswith("Closed") == closed
        assert (row["is_won"] == "true") == (row["stage"] == "Closed Won")
        if closed:
            assert row["closed_at"] >= row["created_at"]
    latest = latest_leads(data[LEADS_CSV])
    assert all(latest[row["lead_id"]]["status"] == "converted" for row in opps)
    truth = {row["lead_id"]: row for row in data[TRUTH]}
    converted = {lead_id for lead_id, row in truth.items() if row["converted"] == "true"}
    won = {lead_id for lead_id, row in truth.items() if row["won"] == "true"}
    assert converted == {row["lead_id"] for row in opps}
    assert won == {row["lead_id"] for row in opps if row["is_won"] == "true"}


def test_domain_mix(large):
    data = large
    assert set(COMPETITOR_DOMAINS) == {"rivalscore.io", "leadlytics.com", "funnelforge.com"}
    leads = list(latest_leads(data[LEADS_CSV]).values())
    n = len(leads)
    personal = [r for r in leads if r["domain"] in PERSONAL_DOMAINS]
    students = [r for r in leads if r["domain"].endswith((".edu", ".ac.uk"))]
    competitors = [r for r in leads if r["domain"] in COMPETITOR_DOMAINS]
    assert 0.05 * n <= len(personal) <= 0.12 * n
    assert 0.015 * n <= len(students) <= 0.06 * n
    assert any(r["domain"].endswith(".ac.uk") for r in students)
    assert 0.01 * n <= len(competitors) <= 0.04 * n
    assert all(r["account_id"] == "" for r in personal + students + competitors)
    assert all(r["account_id"] for r in leads if r not in personal + students + competitors)
    abroad = [
        r for r in leads if r["country"] not in ("United States", "Canada", "United Kingdom", "")
    ]
    assert 0.04 * n <= len(abroad) <= 0.2 * n


def test_activity_identity_mix(large):
    data = large
    leads = latest_leads(data[LEADS_CSV])
    by_email = {row["email"]: lead_id for lead_id, row in leads.items()}
    acts = data[ACTIVITIES]
    assert 6 * LARGE <= len(acts) <= 20 * LARGE
    email_only = [a for a in acts if not a["lead_id"] and resolve_lead(a, by_email)]
    unknown = [a for a in acts if not resolve_lead(a, by_email)]
    assert 0.06 <= len(email_only) / len(acts) <= 0.14
    assert 0.015 <= len(unknown) / len(acts) <= 0.05
    # e-mail-only rows need normalising: some differ in case or carry spaces
    assert any(a["email"] != a["email"].strip() for a in email_only)
    assert any(a["email"].strip() != a["email"].strip().lower() for a in email_only)
    # anonymous rows: some carry only a url
    assert any(not a["lead_id"] and not a["email"] and a["url"] for a in unknown)
    # when lead_id is set, the e-mail is the lead's own
    for a in acts:
        if a["lead_id"]:
            assert a["email"] == leads[a["lead_id"]]["email"]


def test_hand_raisers_convert_far_more(large):
    data = large
    leads = latest_leads(data[LEADS_CSV])
    by_email = {row["email"]: lead_id for lead_id, row in leads.items()}
    hand_raisers = {
        resolve_lead(a, by_email)
        for a in data[ACTIVITIES]
        if a["activity_type"] in HAND_RAISE_TYPES
    } - {""}
    converted = {row["lead_id"] for row in data[OPPS]}
    n = len(leads)
    assert 0.03 * n <= len(hand_raisers) <= 0.2 * n
    assert 0.005 * n <= len(converted) <= 0.1 * n  # overall: a small minority
    hr_rate = len(converted & hand_raisers) / len(hand_raisers)
    other_rate = len(converted - hand_raisers) / (n - len(hand_raisers))
    assert hr_rate >= 0.05
    assert hr_rate >= 3 * other_rate
    # students, freelancers and competitors (almost) never convert
    low_fit = {
        lead_id
        for lead_id, row in leads.items()
        if row["domain"] in PERSONAL_DOMAINS + COMPETITOR_DOMAINS
        or row["domain"].endswith((".edu", ".ac.uk"))
    }
    assert len(converted & low_fit) <= 0.05 * len(converted)


def test_sales_follow_up_of_hand_raisers(large):
    data = large
    leads = latest_leads(data[LEADS_CSV])
    by_email = {row["email"]: lead_id for lead_id, row in leads.items()}
    first_raise: dict[str, str] = {}
    for a in data[ACTIVITIES]:
        lead_id = resolve_lead(a, by_email)
        if a["activity_type"] in HAND_RAISE_TYPES and lead_id:
            first_raise.setdefault(lead_id, a["occurred_at"])
    touched = {t["lead_id"] for t in data[TASKS] if t["status"] == "completed"}
    share_touched = len(touched & set(first_raise)) / len(first_raise)
    assert 0.5 <= share_touched <= 0.95  # most, not all, hand-raisers get a touch
    for t in data[TASKS]:
        assert t["owner_id"] == leads[t["lead_id"]]["owner_id"]


def test_truth_values(data):
    for row in data[TRUTH]:
        for column in ("intent", "fit"):
            value = float(row[column])
            assert 0.0 <= value <= 1.0
            assert re.fullmatch(r"\d\.\d{3}", row[column])
    intents = sorted(float(row["intent"]) for row in data[TRUTH])
    assert intents[len(intents) // 2] < 0.3  # mostly low intent


def test_cli_matches_api(tmp_path, capsys):
    out = tmp_path / "cli"
    assert (
        main(["--out", str(out), "--leads", "60", "--seed", "3", "--end-date", "2026-11-20"]) == 0
    )
    assert "landing/marketing_activities.csv" in capsys.readouterr().out
    api = tmp_path / "api"
    generate(api, leads=60, seed=3, end_date=END, days=90)
    assert file_bytes(out) == file_bytes(api)


def test_bundled_sample_is_current(tmp_path):
    bundled = REPO_ROOT / "sample_data"
    if not (bundled / ACTIVITIES).exists():
        pytest.skip("no bundled sample_data/ in this checkout")
    generate(tmp_path, leads=400, seed=7, end_date=END, days=90)
    assert file_bytes(tmp_path) == file_bytes(bundled), (
        "sample_data/ is stale: run `python -m orchestration.sample_data --out sample_data`"
    )

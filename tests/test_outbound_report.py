"""The SLA breach report reaching sales ops through a real SMTP server (aiosmtpd) and a webhook
served on 127.0.0.1: what arrives, escaped and attached, once, and again after a failure."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from contextlib import contextmanager

import duckdb
import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from orchestration import breach_report
from orchestration.breach_report import parse_team_recipients
from orchestration.resources import Mailer
from tests.conftest import failure_messages, materialization_metadata
from tests.outbound_support import (
    FakeCrm,
    FakeCrmServer,
    check_result,
    everything_said,
    free_port,
    replace_marts,
    run_outbound,
)

# AUTH without TLS is what a localhost test server without a certificate can do.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

AS_OF = "2026-11-20"
SMTP_PASSWORD = "smtp-pa55-w0rd-xyz"
REPORT = ["outbound", "sla_breach_report"]
CHECK = "breach_report_delivered"


def breach(lead_id, owner, team, tier, overdue, **extra) -> dict:
    return {
        "owner_id": owner[:1],
        "owner_name": owner,
        "team": team,
        "lead_id": lead_id,
        "lead_email": f"{lead_id.lower()}@corp.example",
        "first_name": "Lee",
        "last_name": lead_id,
        "company": "Acme",
        "current_stage": "sql",
        "transition": "sql",
        "segment": "hand_raise",
        "started_at": "2026-11-18 15:00:00",
        "due_at": "2026-11-18 19:00:00",
        "window_business_hours": 4,
        "business_hours_overdue": overdue,
        "tier": tier,
        "as_of_date": AS_OF,
        **extra,
    }


BREACHES = [
    breach(
        "T1",
        "Tess Owner",
        "Enterprise",
        "escalated",
        19,
        first_name="<script>alert(1)</script>",
        company='=HYPERLINK("http://evil.example")',
    ),
    breach("T2", "Tess Owner", "Enterprise", "breached", 6),
    breach("T3", "Max Mid", "SMB", "breached", 3),
]


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"reports",
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok)


@contextmanager
def smtp_server(port: int):
    inbox = Inbox()
    # Plain SMTP with AUTH on localhost: the test has no certificate for STARTTLS.
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    replace_marts(tmp_path, [], BREACHES)
    return tmp_path


def mailer(port: int, **overrides) -> Mailer:
    settings = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "smtp_user": "reports",
        "smtp_password_env_var": "TEST_SMTP_PASSWORD",
        "sender": "lead-scoring@corp.example",
        "recipients": "ops@corp.example, vp@corp.example",
        "webhook_url_env_var": "TEST_WEBHOOK_URL",
        "timeout_seconds": 2,
        "backoff_base_seconds": 0.01,
    }
    return Mailer(**(settings | overrides))


def deliveries(root) -> list[tuple]:
    with duckdb.connect(str(root / "lead_scoring.duckdb"), read_only=True) as connection:
        return connection.execute(
            "select cast(as_of_date as varchar), channel, audience, status, attempts "
            "from outbound.report_deliveries order by all"
        ).fetchall()


def test_report_email_has_text_html_and_csv_is_escaped_and_is_sent_once(root):
    port = free_port()
    settings = mailer(port, team_recipients="Enterprise=ent-lead@corp.example")
    with smtp_server(port) as inbox:
        first = run_outbound(root, AS_OF, mailer=settings)
        assert first.success, failure_messages(first)
        assert len(inbox.messages) == 2
        rerun = run_outbound(root, AS_OF, mailer=settings)
        assert len(inbox.messages) == 2  # the same night again sends nothing
        forced = run_outbound(
            root,
            AS_OF,
            mailer=settings,
            run_config={"ops": {"outbound__sla_breach_report": {"config": {"resend": True}}}},
        )
        assert len(inbox.messages) == 4  # unless asked to

    # "… 2026-11-20 (Enterprise)" sorts before "… 2026-11-20: 3 open"
    (to_team, team), (to_all, everyone) = sorted(inbox.messages[:2], key=lambda m: m[1]["Subject"])
    assert to_all == ["ops@corp.example", "vp@corp.example"]
    assert everyone["Subject"] == "SLA breaches as of 2026-11-20: 3 open"
    assert everyone["From"] == "lead-scoring@corp.example"
    # SMTP carries lines ending in CRLF
    text = everyone.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "  breached: 2\n  escalated: 1\n" in text
    assert "  Tess Owner: 2 (worst 19.0 h overdue)\n  Max Mid: 1 (worst 3.0 h overdue)\n" in text
    html = everyone.get_body(("html",)).get_content().replace("\r\n", "\n")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html
    assert "=HYPERLINK(&quot;http://evil.example&quot;)" in html
    # the bar chart: Tess has the most breaches (full 200 px bar), Max half of it
    assert (
        'Tess Owner</td><td style="padding:2px 0"><div style="background:#2c6fbb;width:200px'
        in html
    )
    assert (
        'Max Mid</td><td style="padding:2px 0"><div style="background:#2c6fbb;width:100px' in html
    )
    [attachment] = list(everyone.iter_attachments())
    assert attachment.get_filename() == "sla_breaches_2026-11-20.csv"
    archived = root / "output" / "sla_breaches" / "sla_breaches_2026-11-20.csv"
    assert attachment.get_content().encode() == archived.read_bytes()
    assert "'=HYPERLINK" in archived.read_text()  # neutralised for spreadsheets
    assert archived.with_suffix(".html").read_text() == html

    assert to_team == ["ent-lead@corp.example"]
    assert team["Subject"] == "SLA breaches as of 2026-11-20 (Enterprise): 2 open"
    [team_csv] = list(team.iter_attachments())
    assert team_csv.get_filename() == "sla_breaches_2026-11-20_team-enterprise.csv"
    assert "T3" not in team_csv.get_content()

    assert materialization_metadata(first, REPORT)["delivery"] == "2 sent, 0 failed and pending"
    assert materialization_metadata(rerun, REPORT)["sent"] == []
    assert check_result(first, CHECK).passed and check_result(forced, CHECK).passed
    assert deliveries(root) == [
        (AS_OF, "email", "Enterprise", "sent", 2),
        (AS_OF, "email", "all", "sent", 2),
    ]
    for result in (first, forced):
        assert SMTP_PASSWORD not in everything_said(result, root / "output")


def test_failed_send_stays_pending_fails_the_check_and_goes_out_next_run(root):
    port = free_port()  # nothing listens here yet
    down = run_outbound(root, AS_OF, mailer=mailer(port))
    assert down.success, failure_messages(down)
    check = check_result(down, CHECK)
    assert not check.passed
    assert check.description.startswith("email all 2026-11-20: ConnectionRefusedError")
    assert deliveries(root) == [(AS_OF, "email", "all", "pending", 1)]
    assert (root / "output" / "sla_breaches" / "sla_breaches_2026-11-20.html").exists()

    with smtp_server(port) as inbox:
        next_night = run_outbound(root, "2026-11-21", mailer=mailer(port))
        assert check_result(next_night, CHECK).passed
        subjects = [message["Subject"] for _, message in inbox.messages]
        # last night's report, from the archive, then tonight's
        assert subjects == [
            "SLA breaches as of 2026-11-20: 3 open",
            "SLA breaches as of 2026-11-21: 3 open",
        ]
        run_outbound(root, "2026-11-21", mailer=mailer(port))
        assert len(inbox.messages) == 2
    assert deliveries(root) == [
        (AS_OF, "email", "all", "sent", 2),
        ("2026-11-21", "email", "all", "sent", 1),
    ]


def test_webhook_gets_the_summary_once_and_its_url_stays_secret(root, monkeypatch):
    crm = FakeCrm(token="unused")
    with FakeCrmServer(crm) as server:
        secret_url = f"{server.url}/hooks/sales-ops/T000-B000-XXXXSECRET"
        monkeypatch.setenv("TEST_WEBHOOK_URL", secret_url)
        settings = mailer(0, smtp_host="")  # webhook only
        first = run_outbound(root, AS_OF, mailer=settings)
        run_outbound(root, AS_OF, mailer=settings)
    assert first.success, failure_messages(first)
    [post] = crm.webhook_posts
    assert post["text"].startswith("```\nSLA breaches as of 2026-11-20: 3 open\n")
    assert "Tess Owner: 2 (worst 19.0 h overdue)" in post["text"]
    assert deliveries(root) == [(AS_OF, "webhook", "all", "sent", 1)]
    assert "XXXXSECRET" not in everything_said(first, root / "output")


def test_without_smtp_or_webhook_the_report_is_archived_and_metadata_says_nothing_was_sent(root):
    result = run_outbound(root, AS_OF)
    assert result.success, failure_messages(result)
    assert materialization_metadata(result, REPORT)["delivery"] == (
        "nothing sent: no SMTP host with recipients and no webhook configured "
        "(the report is in the output folder only)"
    )
    assert check_result(result, CHECK).passed
    folder = root / "output" / "sla_breaches"
    assert sorted(p.name for p in folder.iterdir()) == [
        "sla_breaches_2026-11-20.csv",
        "sla_breaches_2026-11-20.html",
        "sla_breaches_2026-11-20.txt",
    ]
    assert "&lt;script&gt;" in (folder / "sla_breaches_2026-11-20.html").read_text()


def test_team_recipients_are_parsed_or_rejected_with_the_expected_form():
    assert parse_team_recipients("Enterprise=a@x.com, b@x.com; SMB=c@x.com;") == {
        "Enterprise": ["a@x.com", "b@x.com"],
        "SMB": ["c@x.com"],
    }
    assert parse_team_recipients("") == {}
    with pytest.raises(ValueError, match="should read 'Team name=address,address'"):
        parse_team_recipients("Enterprise a@x.com")


def test_email_table_lists_the_most_overdue_and_the_csv_keeps_every_breach(tmp_path):
    # in the report's order: by owner, then most overdue first
    breaches = pd.DataFrame(
        {
            "owner_name": ["Ann", "Ann", "Bob"],
            "lead_id": ["L-ANN-1", "L-ANN-2", "L-BOB-1"],
            "first_name": ["A", "B", "C"],
            "last_name": ["One", "Two", "Three"],
            "company": ["Acme", "Acme", "Beta"],
            "lead_email": ["a@acme.example", "b@acme.example", "c@beta.example"],
            "tier": ["escalated", "breached", "escalated"],
            "transition": ["sql", "sql", "sql"],
            "started_at": pd.to_datetime(["2026-11-16 09:00"] * 3),
            "due_at": pd.to_datetime(["2026-11-16 13:00"] * 3),
            "business_hours_overdue": [30.0, 2.0, 12.5],
        }
    )
    html = breach_report.breach_html(breaches, dt.date(2026, 11, 20), table_rows=2)
    assert "The 2 most overdue of 3 breaches; every breach is in the attached CSV." in html
    assert "L-ANN-1" in html and "L-BOB-1" in html and "L-ANN-2" not in html
    assert html.index("L-ANN-1") < html.index("L-BOB-1")  # the report's order is kept
    # the bar charts still count every breach: Ann 2, Bob 1
    assert "</div> 2</td>" in html and "</div> 1</td>" in html

    with duckdb.connect() as warehouse:
        warehouse.execute("create schema marts")
        # stored in another order: the archive sorts them as the report does
        warehouse.execute(
            "create table marts.rpt_sla_breaches as select *, 'west' as team "
            "from breaches order by lead_id desc"
        )
        csv_path, archived = breach_report.archive(
            warehouse, tmp_path, dt.date(2026, 11, 20), breach_report.ALL
        )
    assert pd.read_csv(csv_path)["lead_id"].tolist() == ["L-ANN-1", "L-ANN-2", "L-BOB-1"]
    assert archived["lead_id"].tolist() == ["L-ANN-1", "L-ANN-2", "L-BOB-1"]
    assert csv_path.with_suffix(".html").read_text() == breach_report.breach_html(
        archived, dt.date(2026, 11, 20)
    )
    whole = breach_report.breach_html(breaches, dt.date(2026, 11, 20))
    assert "most overdue" not in whole and "L-ANN-2" in whole

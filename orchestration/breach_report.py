"""The SLA breach report for sales ops: archived files, e-mail, chat webhook, delivered once.

Each night's report is written to the output folder (CSV, text, HTML; one set per configured
team as well) and every delivery is a row in `outbound.report_deliveries`, keyed on
(night, channel, audience). A delivery that fails stays pending and is sent from the archived
files by the next run; one that went out is not sent again unless a run asks to resend.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.http_json import DEFAULT_POLICY, HttpError, RetryPolicy, request_json
from orchestration.mail import SmtpSettings, build_email, send_email
from orchestration.outbound_files import write_query_csv

ALL = "all"

DELIVERIES_DDL = """
create table if not exists outbound.report_deliveries (
    as_of_date date not null,
    channel varchar not null,
    audience varchar not null,
    status varchar not null,
    attempts integer not null,
    last_error varchar,
    recipients varchar,
    created_at timestamp not null,
    sent_at timestamp,
    primary key (as_of_date, channel, audience)
)
"""

NOW = "cast(now() at time zone 'UTC' as timestamp)"

# The e-mail's table lists the most overdue breaches only; every breach is in the attached CSV.
# A table of every breach grows without bound (283,000 rows made a 238 MB body at 1M leads,
# past what mail servers accept, typically 25-50 MB).
EMAIL_TABLE_ROWS = 200

# The columns of the breach table in the e-mail, with their headings.
TABLE_COLUMNS = {
    "owner_name": "Owner",
    "lead_id": "Lead",
    "lead_name": "Name",
    "company": "Company",
    "lead_email": "E-mail",
    "tier": "Tier",
    "transition": "Stage",
    "started_at": "Since (UTC)",
    "due_at": "Due at (UTC)",
    "business_hours_overdue": "Business hours overdue",
}


def parse_team_recipients(text: str) -> dict[str, list[str]]:
    """'Team A=a@x.com,b@x.com; Team B=c@x.com' -> {'Team A': [...], 'Team B': [...]}."""
    teams: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        team, separator, addresses = part.partition("=")
        recipients = [a.strip() for a in addresses.split(",") if a.strip()]
        if not separator or not team.strip() or not recipients:
            raise ValueError(
                f"team recipients {part!r} should read 'Team name=address,address' "
                "(teams separated by ';')"
            )
        teams[team.strip()] = recipients
    return teams


def report_path(output_dir: Path, as_of: dt.date, audience: str, suffix: str) -> Path:
    """output/sla_breaches/sla_breaches_<day>[_team-<name>].<suffix>"""
    name = f"sla_breaches_{as_of.isoformat()}"
    if audience != ALL:
        name += "_team-" + (re.sub(r"[^a-z0-9]+", "-", audience.lower()).strip("-") or "unnamed")
    return output_dir / "sla_breaches" / f"{name}.{suffix}"


def title(as_of: dt.date, audience: str) -> str:
    team = "" if audience == ALL else f" ({audience})"
    return f"SLA breaches as of {as_of.isoformat()}{team}"


def breach_summary(breaches: pd.DataFrame, as_of: dt.date, audience: str = ALL) -> str:
    """A plain-text summary of the open breaches, by tier and by owner."""
    lines = [f"{title(as_of, audience)}: {len(breaches)} open"]
    if breaches.empty:
        lines.append("Every SQL has been followed up within its window.")
        return "\n".join(lines) + "\n"
    for tier, count in _by_tier(breaches).items():
        lines.append(f"  {tier}: {count}")
    lines.append("")
    lines.append("By owner (open breaches, worst overdue in business hours):")
    for owner, row in _by_owner(breaches).iterrows():
        lines.append(
            f"  {owner}: {int(row.breaches)} (worst {float(row.worst_overdue):.1f} h overdue)"
        )
    return "\n".join(lines) + "\n"


def breach_html(
    breaches: pd.DataFrame,
    as_of: dt.date,
    audience: str = ALL,
    table_rows: int = EMAIL_TABLE_ROWS,
) -> str:
    """The e-mail body: summary with bar charts, then the `table_rows` most overdue breaches
    (in the report's order). Every value is escaped.

    Inline styles and table layout only: mail clients drop <style> blocks and scripts.
    """
    heading = f"{title(as_of, audience)}: {len(breaches)} open"
    parts = [
        '<!DOCTYPE html><html><head><meta charset="utf-8">',
        f"<title>{_e(heading)}</title></head>",
        '<body style="font-family:Arial,Helvetica,sans-serif;color:#222">',
        f"<h2>{_e(heading)}</h2>",
    ]
    if breaches.empty:
        parts.append("<p>Every SQL has been followed up within its window.</p>")
    else:
        by_owner = _by_owner(breaches)["breaches"]
        parts.append(_bar_chart("By tier", _by_tier(breaches), "#c0392b"))
        parts.append(_bar_chart("By owner", by_owner, "#2c6fbb"))
        shown = breaches
        if len(breaches) > table_rows:
            most_overdue = breaches["business_hours_overdue"].nlargest(table_rows, keep="first")
            shown = breaches.loc[breaches.index.isin(most_overdue.index)]
            parts.append(
                f"<p>The {table_rows} most overdue of {len(breaches)} breaches; every breach is "
                "in the attached CSV.</p>"
            )
        parts.append(_table(shown))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _bar_chart(caption: str, counts: pd.Series, colour: str) -> str:
    largest = max(int(counts.max()), 1)
    rows = []
    for label, count in counts.items():
        width = max(2, round(200 * int(count) / largest))
        rows.append(
            f'<tr><td style="padding:2px 8px 2px 0">{_e(label)}</td>'
            f'<td style="padding:2px 0"><div style="background:{colour};width:{width}px;'
            f'height:14px;display:inline-block"></div> {int(count)}</td></tr>'
        )
    return (
        f'<table style="border-collapse:collapse;margin-bottom:12px">'
        f'<caption style="text-align:left;font-weight:bold">{_e(caption)}</caption>'
        + "".join(rows)
        + "</table>"
    )


def _table(breaches: pd.DataFrame) -> str:
    frame = breaches.assign(
        lead_name=(
            breaches["first_name"].fillna("") + " " + breaches["last_name"].fillna("")
        ).str.strip()
    )
    cell = 'style="border:1px solid #ccc;padding:3px 6px;text-align:left"'
    head = "".join(f"<th {cell}>{_e(name)}</th>" for name in TABLE_COLUMNS.values())
    body = []
    for record in frame[list(TABLE_COLUMNS)].itertuples(index=False):
        body.append("<tr>" + "".join(f"<td {cell}>{_e(value)}</td>" for value in record) + "</tr>")
    return (
        '<table style="border-collapse:collapse;font-size:13px">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _e(value: object) -> str:
    """Escape a value for HTML: a lead named <script> stays text."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp | dt.datetime):
        value = value.strftime("%Y-%m-%d %H:%M")
    return html.escape(str(value), quote=True)


def _by_tier(breaches: pd.DataFrame) -> pd.Series:
    return breaches["tier"].value_counts().sort_index()


def _by_owner(breaches: pd.DataFrame) -> pd.DataFrame:
    return (
        breaches.assign(owner_name=breaches["owner_name"].fillna("(unassigned)"))
        .groupby("owner_name")
        .agg(breaches=("lead_id", "count"), worst_overdue=("business_hours_overdue", "max"))
        .sort_values(["breaches", "worst_overdue"], ascending=False)
    )


def archive(
    connection: duckdb.DuckDBPyConnection, output_dir: Path, as_of: dt.date, audience: str
) -> tuple[Path, pd.DataFrame]:
    """Write the report's CSV, text and HTML for one audience (everyone, or one team) from
    marts.rpt_sla_breaches: the CSV path and the breaches, in the report's order (by owner,
    most overdue first)."""
    where, params = ("", []) if audience == ALL else ("where team = ?", [audience])
    query = (
        f"select * from marts.rpt_sla_breaches {where} "
        "order by owner_name, business_hours_overdue desc, lead_id"
    )
    csv_path = report_path(output_dir, as_of, audience, "csv")
    write_query_csv(connection, query, csv_path, params)
    breaches = connection.execute(query, params).df()
    csv_path.with_suffix(".txt").write_text(
        breach_summary(breaches, as_of, audience), encoding="utf-8"
    )
    csv_path.with_suffix(".html").write_text(
        breach_html(breaches, as_of, audience), encoding="utf-8"
    )
    return csv_path, breaches


@dataclass(frozen=True)
class Channels:
    """Where reports go tonight, as configured."""

    smtp: SmtpSettings
    recipients: list[str]
    team_recipients: dict[str, list[str]]
    webhook_url: str = field(repr=False)  # a Slack webhook URL is a secret
    webhook_policy: RetryPolicy = DEFAULT_POLICY

    def wanted(self) -> list[tuple[str, str]]:
        """(channel, audience) pairs to deliver each night."""
        wanted = []
        if self.smtp.configured and self.recipients:
            wanted.append(("email", ALL))
        if self.smtp.configured:
            wanted.extend(("email", team) for team in self.team_recipients)
        if self.webhook_url:
            wanted.append(("webhook", ALL))
        return wanted

    def nothing_configured(self) -> str | None:
        if self.wanted():
            return None
        return (
            "nothing sent: no SMTP host with recipients and no webhook configured "
            "(the report is in the output folder only)"
        )


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def schedule_deliveries(
    connection: duckdb.DuckDBPyConnection, as_of: dt.date, channels: Channels, resend: bool
) -> None:
    """Record tonight's deliveries; a delivery already made stays made unless `resend`."""
    for channel, audience in channels.wanted():
        connection.execute(
            f"insert into outbound.report_deliveries "
            f"(as_of_date, channel, audience, status, attempts, created_at) "
            f"values (?, ?, ?, 'pending', 0, {NOW}) on conflict do nothing",
            [as_of, channel, audience],
        )
    if resend:
        connection.execute(
            "update outbound.report_deliveries set status = 'pending' where as_of_date = ?",
            [as_of],
        )


def deliver_pending(
    connection: duckdb.DuckDBPyConnection, output_dir: Path, channels: Channels
) -> DeliveryReport:
    """Send every pending delivery, tonight's and earlier nights' failed ones, from the archive."""
    report = DeliveryReport()
    pending = connection.execute(
        "select as_of_date, channel, audience from outbound.report_deliveries "
        "where status = 'pending' order by as_of_date, channel, audience"
    ).fetchall()
    for as_of, channel, audience in pending:
        label = f"{channel} {audience} {as_of.isoformat()}"
        recipients = (
            channels.recipients if audience == ALL else channels.team_recipients.get(audience, [])
        )
        try:
            if channel == "email":
                _send_email(channels, output_dir, as_of, audience, recipients)
            else:
                _post_webhook(channels, output_dir, as_of)
        except (OSError, ValueError, HttpError) as error:
            # smtplib's errors are OSErrors; none of these messages carry the password or URL
            message = f"{type(error).__name__}: {error}"
            connection.execute(
                "update outbound.report_deliveries set attempts = attempts + 1, last_error = ? "
                "where as_of_date = ? and channel = ? and audience = ?",
                [message, as_of, channel, audience],
            )
            report.failed.append(f"{label}: {message}")
            continue
        connection.execute(
            f"update outbound.report_deliveries set status = 'sent', attempts = attempts + 1, "
            f"last_error = null, sent_at = {NOW}, recipients = ? "
            "where as_of_date = ? and channel = ? and audience = ?",
            [", ".join(recipients) if channel == "email" else "webhook", as_of, channel, audience],
        )
        report.sent.append(label)
    return report


def _send_email(
    channels: Channels, output_dir: Path, as_of: dt.date, audience: str, recipients: list[str]
) -> None:
    if not channels.smtp.configured:
        raise ValueError("no SMTP host configured")
    if not recipients:
        raise ValueError(f"no recipients configured for {audience!r}")
    csv_path = report_path(output_dir, as_of, audience, "csv")
    text = csv_path.with_suffix(".txt").read_text(encoding="utf-8")
    message = build_email(
        sender=channels.smtp.sender,
        recipients=recipients,
        subject=text.splitlines()[0],
        text=text,
        html=csv_path.with_suffix(".html").read_text(encoding="utf-8"),
        attachment_name=csv_path.name,
        attachment=csv_path.read_bytes(),
    )
    send_email(channels.smtp, message)


def _post_webhook(channels: Channels, output_dir: Path, as_of: dt.date) -> None:
    if not channels.webhook_url:
        raise ValueError("no webhook URL configured")
    text = report_path(output_dir, as_of, ALL, "txt").read_text(encoding="utf-8")
    # Slack-compatible: {"text": ...}; a code block keeps the summary's columns aligned.
    request_json(
        "POST",
        channels.webhook_url,
        label="POST webhook",
        body={"text": f"```\n{text}```"},
        policy=channels.webhook_policy,
    )

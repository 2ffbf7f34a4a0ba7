"""The canonical export layout: one raw table per export kind, with typed columns.

A landing file belongs to the table whose name starts its file name
(`crm_leads.csv`, `crm_leads_2026-11-20.csv` -> raw.crm_leads). Column order in a file does
not matter; extra columns are ignored; the required columns must be in the header, and a
missing optional column loads as NULL. Other export layouts map onto these same tables
(orchestration/formats).
"""

from __future__ import annotations

from dataclasses import dataclass

TEXT, INTEGER, NUMBER, BOOLEAN, TIMESTAMP = "VARCHAR", "BIGINT", "DOUBLE", "BOOLEAN", "TIMESTAMP"


# The canonical activity types every export format maps to (marketing_activities.activity_type).
ACTIVITY_TYPES = (
    "web_visit",
    "form_fill",
    "email_open",
    "email_click",
    "email_bounce",
    "unsubscribe",
    "webinar_registered",
    "webinar_attended",
    "demo_request",
    "contact_request",
    "trial_request",
    "quote_request",
    "inbound_call",
    "demo_attended",
)


@dataclass(frozen=True)
class RawTable:
    name: str
    description: str
    columns: dict[str, str]
    required: tuple[str, ...]
    # a row whose key cell is empty gets a stable hash of its other columns as key (events);
    # otherwise such a row is rejected
    hash_missing_key: bool = False

    @property
    def key_column(self) -> str:
        return self.required[0]


RAW_TABLES: tuple[RawTable, ...] = (
    RawTable(
        "crm_users",
        "Sales users (lead owners) with their team and IANA time zone.",
        {
            "user_id": TEXT,
            "name": TEXT,
            "email": TEXT,
            "team": TEXT,
            "time_zone": TEXT,
            "is_active": BOOLEAN,
        },
        required=("user_id",),
    ),
    RawTable(
        "crm_accounts",
        "CRM accounts (companies).",
        {
            "account_id": TEXT,
            "name": TEXT,
            "domain": TEXT,
            "industry": TEXT,
            "employees": INTEGER,
            "annual_revenue": NUMBER,
            "country": TEXT,
            "owner_id": TEXT,
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
        },
        required=("account_id", "created_at"),
    ),
    RawTable(
        "crm_leads",
        "CRM leads and contacts.",
        {
            "lead_id": TEXT,
            "email": TEXT,
            "first_name": TEXT,
            "last_name": TEXT,
            "title": TEXT,
            "company": TEXT,
            "domain": TEXT,
            "industry": TEXT,
            "employees": INTEGER,
            "annual_revenue": NUMBER,
            "country": TEXT,
            "lead_source": TEXT,
            "owner_id": TEXT,
            "status": TEXT,
            "account_id": TEXT,
            "do_not_contact": BOOLEAN,
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
            # `lead` or `contact` (Salesforce keeps them apart); optional, added for identity
            "record_type": TEXT,
            # the CRM's own lifecycle stage (HubSpot internal value, e.g. marketingqualifiedlead);
            # kept for reference: the pipeline derives stages from scores
            "lifecycle_stage": TEXT,
        },
        required=("lead_id", "created_at"),
    ),
    RawTable(
        "crm_opportunities",
        "CRM opportunities (deals): stage, amount and outcome.",
        {
            "opportunity_id": TEXT,
            "account_id": TEXT,
            "lead_id": TEXT,
            "name": TEXT,
            "stage": TEXT,
            "amount": NUMBER,
            "owner_id": TEXT,
            "is_closed": BOOLEAN,
            "is_won": BOOLEAN,
            "created_at": TIMESTAMP,
            "closed_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
        },
        required=("opportunity_id", "created_at"),
    ),
    RawTable(
        "crm_tasks",
        "Sales touches logged in the CRM: calls, e-mails and meetings.",
        {
            "task_id": TEXT,
            "lead_id": TEXT,
            "owner_id": TEXT,
            "task_type": TEXT,
            "subject": TEXT,
            "status": TEXT,
            "occurred_at": TIMESTAMP,
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
        },
        required=("task_id", "created_at"),
    ),
    RawTable(
        "marketing_activities",
        "Marketing-automation events: visits, forms, e-mails, webinars, hand-raises.",
        {
            "activity_id": TEXT,
            "lead_id": TEXT,
            "email": TEXT,
            "activity_type": TEXT,
            "occurred_at": TIMESTAMP,
            "url": TEXT,
            "form_name": TEXT,
            "campaign": TEXT,
            "asset": TEXT,
            "detail": TEXT,
        },
        required=("activity_id", "activity_type", "occurred_at"),
        hash_missing_key=True,
    ),
)

RAW_TABLES_BY_NAME = {table.name: table for table in RAW_TABLES}

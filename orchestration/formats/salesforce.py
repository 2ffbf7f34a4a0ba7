"""Salesforce Data Export / Data Loader CSVs: one file per object, standard API field names as
headers (export_formats.md §2a). Datetimes come as `2024-03-12T09:14:00.000Z`, dates as
`2024-03-12`, booleans as `true`/`false`. Leads and Contacts both feed raw.crm_leads
(record_type tells them apart; staging merges the same person by e-mail)."""

from __future__ import annotations

from orchestration.formats import Format


def website_domain(placeholder: str) -> str:
    """`https://www.acme.com/about` -> `acme.com`: what account matching compares."""
    return (
        f"nullif(regexp_extract(lower({placeholder}), "
        r"'^(?:[a-z]+://)?(?:www\.)?([^/:?#\s]+)', 1), '')"
    )


# Default Lead.Status picklist of a fresh org -> canonical status. Customised orgs add values:
# those are kept as they come (lower-cased in staging) and counted as unmapped.
LEAD_STATUS = {
    "open - not contacted": "new",
    "working - contacted": "working",
    "closed - converted": "converted",
    "closed - not converted": "unqualified",
    "nurturing": "nurture",
}

TASK_STATUS = {
    "completed": "completed",
    "not started": "open",
    "in progress": "open",
    "waiting on someone else": "open",
    "deferred": "open",
}

TASK_TYPE = {"call": "call", "email": "email", "listemail": "email", "event": "meeting"}

# The person fields Leads and Contacts share.
PERSON = {
    "lead_id": "@{Id}",
    "email": "@{Email}",
    "first_name": "@{FirstName}",
    "last_name": "@{LastName}",
    "title": "@{Title}",
    "lead_source": "@{LeadSource}",
    "owner_id": "@{OwnerId}",
    "do_not_contact": "@{HasOptedOutOfEmail|DoNotCall}",
    "created_at": "@{CreatedDate}",
    "updated_at": "@{LastModifiedDate|SystemModstamp}",
}

LEAD = Format(
    name="salesforce_lead",
    table="crm_leads",
    description="Salesforce Lead export (Lead.csv).",
    signature=("Id", "Company", "Status", "CreatedDate"),
    columns={
        **PERSON,
        "company": "@{Company}",
        "domain": website_domain("@{Website}"),
        "industry": "@{Industry}",
        "employees": "@{NumberOfEmployees}",
        "annual_revenue": "@{AnnualRevenue}",
        "country": "@{Country}",
        # a converted lead is converted whatever its org calls that status
        "status": "case when lower(@{IsConverted}) = 'true' then 'Closed - Converted' else @{Status} end",
        "account_id": "@{ConvertedAccountId}",
        "record_type": "'lead'",
    },
    values={"status": LEAD_STATUS},
)

CONTACT = Format(
    name="salesforce_contact",
    table="crm_leads",
    description="Salesforce Contact export (Contact.csv).",
    signature=("Id", "LastName", "AccountId", "CreatedDate"),
    columns={
        **PERSON,
        "country": "@{MailingCountry|OtherCountry}",
        "account_id": "@{AccountId}",
        "record_type": "'contact'",
    },
)

ACCOUNT = Format(
    name="salesforce_account",
    table="crm_accounts",
    description="Salesforce Account export (Account.csv).",
    signature=("Id", "Name", "CreatedDate"),
    columns={
        "account_id": "@{Id}",
        "name": "@{Name}",
        "domain": website_domain("@{Website}"),
        "industry": "@{Industry}",
        "employees": "@{NumberOfEmployees}",
        "annual_revenue": "@{AnnualRevenue}",
        "country": "@{BillingCountry|ShippingCountry}",
        "owner_id": "@{OwnerId}",
        "created_at": "@{CreatedDate}",
        "updated_at": "@{LastModifiedDate|SystemModstamp}",
    },
)

OPPORTUNITY = Format(
    name="salesforce_opportunity",
    table="crm_opportunities",
    description="Salesforce Opportunity export (Opportunity.csv).",
    signature=("Id", "StageName", "CreatedDate"),
    columns={
        "opportunity_id": "@{Id}",
        "account_id": "@{AccountId}",
        "lead_id": "@{ContactId}",
        "name": "@{Name}",
        "stage": "@{StageName}",
        "amount": "@{Amount}",
        "owner_id": "@{OwnerId}",
        "is_closed": "@{IsClosed}",
        "is_won": "@{IsWon}",
        "created_at": "@{CreatedDate}",
        # CloseDate of an open opportunity is only the expected date
        "closed_at": "case when lower(@{IsClosed}) = 'true' then @{CloseDate} end",
        "updated_at": "@{LastModifiedDate|SystemModstamp}",
    },
)

TASK = Format(
    name="salesforce_task",
    table="crm_tasks",
    description="Salesforce Task export (Task.csv); WhoId is the Lead or Contact.",
    signature=("Id", "WhoId", "Subject", "CreatedDate"),
    columns={
        "task_id": "@{Id}",
        "lead_id": "@{WhoId}",
        "owner_id": "@{OwnerId}",
        "task_type": "coalesce(@{TaskSubtype}, @{Type|CallType})",
        "subject": "@{Subject}",
        "status": "@{Status}",
        "occurred_at": "coalesce(@{CompletedDateTime}, @{ActivityDate})",
        "created_at": "@{CreatedDate}",
        "updated_at": "@{LastModifiedDate|SystemModstamp}",
    },
    values={"status": TASK_STATUS, "task_type": TASK_TYPE},
)

FORMATS = [LEAD, CONTACT, ACCOUNT, OPPORTUNITY, TASK]

"""HubSpot CRM exports (export_formats.md §1): headers are property labels in UI exports and
internal names in API-made files, so every column lists both; enumerations come as labels or
internal values and both are mapped. UI timestamps (`2023-02-21 10:37`) are in the portal's
time zone: set LEAD_SCORING_SOURCE_TZ to it."""

from __future__ import annotations

from orchestration.formats import Format


# `Record ID` (= hs_object_id); exports made before it was renamed say `Contact ID` etc.
def record_id(old_label: str) -> str:
    return f"Record ID|hs_object_id|{old_label}"


LEAD_STATUS = {
    "new": "new",
    "open": "new",
    "in progress": "working",
    "in_progress": "working",
    "attempted to contact": "working",
    "attempted_to_contact": "working",
    "connected": "working",
    "open deal": "converted",
    "open_deal": "converted",
    "bad timing": "nurture",
    "bad_timing": "nurture",
    "unqualified": "unqualified",
}

# Default lifecycle stages, label -> internal value. Portals may add custom stages whose
# internal value is a numeric id: kept as exported and counted as unmapped.
LIFECYCLE_STAGE = {
    "subscriber": "subscriber",
    "lead": "lead",
    "marketing qualified lead": "marketingqualifiedlead",
    "marketingqualifiedlead": "marketingqualifiedlead",
    "sales qualified lead": "salesqualifiedlead",
    "salesqualifiedlead": "salesqualifiedlead",
    "opportunity": "opportunity",
    "customer": "customer",
    "evangelist": "evangelist",
    "other": "other",
}

ANALYTICS_SOURCE = {
    "organic search": "Organic Search",
    "organic_search": "Organic Search",
    "paid search": "Paid Search",
    "paid_search": "Paid Search",
    "email marketing": "Email",
    "email_marketing": "Email",
    "social media": "Social",
    "social_media": "Social",
    "organic social": "Social",
    "paid social": "Paid Social",
    "paid_social": "Paid Social",
    "referrals": "Referral",
    "other campaigns": "Other Campaigns",
    "other_campaigns": "Other Campaigns",
    "direct traffic": "Direct",
    "direct_traffic": "Direct",
    "offline sources": "Offline",
    "offline": "Offline",
}

DEAL_STAGE = {
    "appointmentscheduled": "Appointment Scheduled",
    "qualifiedtobuy": "Qualified To Buy",
    "presentationscheduled": "Presentation Scheduled",
    "decisionmakerboughtin": "Decision Maker Bought-In",
    "contractsent": "Contract Sent",
    "closedwon": "Closed Won",
    "closedlost": "Closed Lost",
    "appointment scheduled": "Appointment Scheduled",
    "qualified to buy": "Qualified To Buy",
    "presentation scheduled": "Presentation Scheduled",
    "decision maker bought-in": "Decision Maker Bought-In",
    "contract sent": "Contract Sent",
    "closed won": "Closed Won",
    "closed lost": "Closed Lost",
}

# The stage as an internal id, whatever the file carries (label or id).
DEAL_STAGE_ID = "replace(lower(@{Deal Stage|dealstage}), ' ', '')"

CONTACTS = Format(
    name="hubspot_contacts",
    table="crm_leads",
    description="HubSpot contacts export (hubspot-crm-exports-*.csv, labels or internal names).",
    signature=(record_id("Contact ID"), "Email|email", "Create Date|createdate"),
    columns={
        "lead_id": f"@{{{record_id('Contact ID')}}}",
        "email": "@{Email|email}",
        "first_name": "@{First Name|firstname}",
        "last_name": "@{Last Name|lastname}",
        "title": "@{Job Title|jobtitle}",
        "company": "@{Company Name|company}",
        "domain": "@{Company domain name|Email Domain|hs_email_domain}",
        "industry": "@{Industry|industry}",
        "employees": "@{Number of Employees|numemployees}",
        "annual_revenue": "@{Annual Revenue|annualrevenue}",
        "country": "@{Country/Region|country}",
        "lead_source": "@{Original Source|hs_analytics_source}",
        "owner_id": "@{Contact owner|hubspot_owner_id}",
        "status": "@{Lead Status|hs_lead_status}",
        "lifecycle_stage": "@{Lifecycle Stage|lifecyclestage}",
        "account_id": "split_part(@{Primary Associated Company ID|Associated Company ID|Associated Company IDs|associatedcompanyid}, ';', 1)",
        "do_not_contact": "@{Unsubscribed from all email|hs_email_optout}",
        "created_at": "@{Create Date|createdate}",
        "updated_at": "@{Last Modified Date|lastmodifieddate}",
        "record_type": "'contact'",
    },
    values={
        "status": LEAD_STATUS,
        "lead_source": ANALYTICS_SOURCE,
        "lifecycle_stage": LIFECYCLE_STAGE,
    },
)

COMPANIES = Format(
    name="hubspot_companies",
    table="crm_accounts",
    description="HubSpot companies export.",
    signature=(record_id("Company ID"), "Company name|name", "Create Date|createdate"),
    columns={
        "account_id": f"@{{{record_id('Company ID')}}}",
        "name": "@{Company name|name}",
        "domain": "@{Company Domain Name|domain}",
        "industry": "@{Industry|industry}",
        "employees": "@{Number of Employees|numberofemployees}",
        "annual_revenue": "@{Annual Revenue|annualrevenue}",
        "country": "@{Country/Region|country}",
        "owner_id": "@{Company owner|hubspot_owner_id}",
        "created_at": "@{Create Date|createdate}",
        "updated_at": "@{Last Modified Date|hs_lastmodifieddate}",
    },
)

DEALS = Format(
    name="hubspot_deals",
    table="crm_opportunities",
    description="HubSpot deals export (default pipeline stages mapped; custom stage ids kept).",
    signature=(record_id("Deal ID"), "Deal Name|dealname", "Deal Stage|dealstage"),
    columns={
        "opportunity_id": f"@{{{record_id('Deal ID')}}}",
        "account_id": "split_part(@{Associated Company IDs|associatedcompanyid}, ';', 1)",
        "lead_id": "split_part(@{Associated Contact IDs|associatedcontactid}, ';', 1)",
        "name": "@{Deal Name|dealname}",
        "stage": "@{Deal Stage|dealstage}",
        "amount": "@{Amount|amount}",
        "owner_id": "@{Deal owner|hubspot_owner_id}",
        "is_closed": f"coalesce(@{{Is Deal Closed?|hs_is_closed}}, cast({DEAL_STAGE_ID} in ('closedwon', 'closedlost') as varchar))",
        "is_won": f"cast({DEAL_STAGE_ID} = 'closedwon' as varchar)",
        "created_at": "@{Create Date|createdate}",
        # Close Date of an open deal is only the expected date
        "closed_at": f"case when {DEAL_STAGE_ID} in ('closedwon', 'closedlost') then @{{Close Date|closedate}} end",
        "updated_at": "@{Last Modified Date|hs_lastmodifieddate}",
    },
    values={"stage": DEAL_STAGE},
)

FORMATS = [CONTACTS, COMPANIES, DEALS]

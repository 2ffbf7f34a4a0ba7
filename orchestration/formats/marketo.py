"""Marketo bulk activity extract (export_formats.md §3): one row per activity, the type as a
standard `activityTypeId`, details in a JSON `attributes` cell (an object, or in older
extracts a list of {name, value}). Empty fields may be the literal `null`.

`leadId` is Marketo's own lead id: it matches a CRM lead only where the CRM uses that id, else
the activity is kept unmatched until identified."""

from __future__ import annotations

from orchestration.formats import Format


def attribute(name: str) -> str:
    """One attribute of the `attributes` JSON, in either of its two shapes."""
    return (
        "case when json_valid(@{attributes}) then coalesce("
        f"json_extract_string(@{{attributes}}, '$.\"{name}\"'), "
        "case when json_type(@{attributes}) = 'ARRAY' then "
        'list_filter(from_json(@{attributes}, \'[{"name": "VARCHAR", "value": "VARCHAR"}]\'), '
        f"lambda a: a.name = '{name}')[1].value end) end"
    )


# Standard activity type ids (export_formats.md §3b, §6) -> canonical activity types. Types a
# score has no use for yet keep a descriptive name; ids not listed are kept as
# `marketo_activity_<id>` and counted as unmapped.
ACTIVITY_TYPES = {
    "1": "web_visit",
    "3": "web_visit",
    "2": "form_fill",
    "131": "form_fill",
    "147": "form_fill",
    "6": "email_send",
    "7": "email_delivered",
    "8": "email_bounce",
    "27": "email_bounce",
    "9": "unsubscribe",
    "10": "email_open",
    "11": "email_click",
    "12": "new_lead",
    "13": "data_value_change",
    "22": "score_change",
    "26": "sales_touch",
    "30": "sales_touch",
    "39": "sales_touch",
    "40": "sales_touch",
    "41": "sales_touch",
    "46": "interesting_moment",
    "101": "stage_change",
    "104": "program_status_change",
    # program status changes that are webinar steps (see the template below)
    "webinar_attended": "webinar_attended",
    "webinar_registered": "webinar_registered",
}

NEW_STATUS = attribute("New Status")

ACTIVITIES = Format(
    name="marketo_activities",
    table="marketing_activities",
    description="Marketo bulk activity extract (CSV).",
    signature=("marketoGUID", "leadId", "activityDate", "activityTypeId"),
    columns={
        "activity_id": "@{marketoGUID}",
        "lead_id": "@{leadId}",
        "email": attribute("Email"),
        # webinar attendance arrives as 104 Change Status in Progression, New Status Attended
        "activity_type": (
            "case when @{activityTypeId} = '104' and lower(" + NEW_STATUS + ") = 'attended' "
            "then 'webinar_attended' "
            "when @{activityTypeId} = '104' and lower(" + NEW_STATUS + ") = 'registered' "
            "then 'webinar_registered' else @{activityTypeId} end"
        ),
        "occurred_at": "@{activityDate}",
        "url": (
            "case when @{activityTypeId} in ('1', '3') then coalesce("
            + attribute("Webpage URL")
            + ", @{primaryAttributeValue}) end"
        ),
        "form_name": "case when @{activityTypeId} in ('2', '131', '147') then @{primaryAttributeValue} end",
        "campaign": "@{campaignId}",
        "asset": "@{primaryAttributeValue}",
        "detail": (
            "case @{activityTypeId} when '8' then 'hard' when '27' then 'soft' "
            "when '104' then " + NEW_STATUS + " end"
        ),
    },
    values={"activity_type": ACTIVITY_TYPES},
    unmapped_prefix={"activity_type": "marketo_activity_"},
    null_values=("null",),
)

FORMATS = [ACTIVITIES]

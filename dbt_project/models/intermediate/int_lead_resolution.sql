-- How an event finds its lead: every CRM id ever seen (merged records included) with the person
-- it belongs to now, and every e-mail with the lead it identifies. An e-mail shared by two CRM
-- records goes to the one created first (then the lowest id), so the same person's history is
-- never split between runs.
-- A table of one row per key: int_activities_matched_to_leads matches the night's events with
-- it, and re-matches earlier events only where a key's lead differs from the mapping it used
-- last run (a new lead with their e-mail, a merge, a changed e-mail).
{{ config(materialized='table') }}
with leads as (
    select lead_id, email, created_at from {{ ref('stg_crm__leads') }}
)

select 'crm_id' as key_kind, identities.lead_id as lookup_key, leads.lead_id
from {{ ref('stg_crm__lead_identities') }} as identities
inner join leads on leads.lead_id = identities.person_id

union all

select 'email', email, lead_id
from (
    select
        email,
        lead_id,
        row_number() over (partition by email order by created_at, lead_id) as email_rank
    from leads
    where email is not null
) as ranked
where email_rank = 1

-- How an event finds its lead: every CRM id ever seen (merged records included) with the person
-- it belongs to now, and every e-mail with the lead it identifies. An e-mail shared by two CRM
-- records goes to the one created first (then the lowest id), so the same person's history is
-- never split between runs.
-- A table of one row per key: int_activities_matched_to_leads matches the night's events with
-- it, and re-matches earlier events only where a key's lead differs from the mapping it used
-- last run (a new lead with their e-mail, a merge, a changed e-mail).
--
-- Read from the identities alone, which already hold both answers: a person's id is the
-- record created first among those sharing its e-mail, and that record is the one whose
-- lead_id is its person_id (one per e-mail). Not from stg_crm__leads, whose merge of the
-- people's fields (2.5 s at 1M leads) would otherwise hold back matching the night's events.
{{ config(materialized='table') }}
select 'crm_id' as key_kind, lead_id as lookup_key, person_id as lead_id
from {{ ref('stg_crm__lead_identities') }}

union all

select 'email', email, person_id
from {{ ref('stg_crm__lead_identities') }}
where email is not null and lead_id = person_id

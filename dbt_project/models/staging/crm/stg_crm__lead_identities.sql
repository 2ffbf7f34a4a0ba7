-- Every CRM lead or contact id with the person it belongs to. Records that share a normalised
-- e-mail are one person (a Salesforce Lead and the Contact it became, a HubSpot contact and a
-- Salesforce lead): the record created first is the person's id (then the lowest id), so the
-- choice never flips between runs. Records without an e-mail stand alone.
-- A table, not a view: the other CRM staging models, the lead resolution and three tests read
-- it, and as a view each read ranked every raw lead version again (0.3-0.6 s each at 1M leads).
{{ config(materialized='table') }}
with versions as (
    {{ latest_version_as_of(source('raw', 'crm_leads'), 'lead_id') }}
),

records as (
    select lead_id, nullif(lower(trim(email)), '') as email, created_at
    from versions
)

select
    lead_id,
    case
        when email is null then lead_id
        else first_value(lead_id) over (partition by email order by created_at, lead_id)
    end as person_id,
    email,
    case when email is null then 1 else count(*) over (partition by email) end as person_records
from records

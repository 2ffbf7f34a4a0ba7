-- One row per CRM lead: its latest version as of the scoring day, with e-mail normalised.
with versions as (
    {{ latest_version_as_of(source('raw', 'crm_leads'), 'lead_id') }}
),

normalised as (
    select
        lead_id,
        nullif(lower(trim(email)), '') as email,
        first_name,
        last_name,
        nullif(trim(title), '') as title,
        company,
        nullif(lower(trim(domain)), '') as company_domain,
        nullif(trim(industry), '') as industry,
        nullif(trim(country), '') as country,
        nullif(trim(lead_source), '') as lead_source,
        owner_id,
        account_id,
        lower(trim(status)) as crm_status,
        employees,
        annual_revenue,
        coalesce(do_not_contact, false) as is_do_not_contact,
        created_at,
        coalesce(updated_at, created_at) as updated_at
    from versions
)

select
    *,
    -- the part after the last @: what disqualifiers and fit rules look at
    nullif({{ dbt.split_part('email', "'@'", -1) }}, email) as email_domain
from normalised

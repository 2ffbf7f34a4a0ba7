-- One row per CRM account (company): its latest version as of the scoring day.
with versions as (
    {{ latest_version_as_of(source('raw', 'crm_accounts'), 'account_id') }}
)

select
    account_id,
    name as account_name,
    nullif(lower(trim(domain)), '') as account_domain,
    nullif(trim(industry), '') as industry,
    nullif(trim(country), '') as country,
    owner_id,
    employees,
    annual_revenue,
    created_at,
    coalesce(updated_at, created_at) as updated_at
from versions

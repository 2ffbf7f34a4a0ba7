-- One row per CRM opportunity: its latest version as of the scoring day. An opportunity
-- closed after the scoring day is still open on that day.
with versions as (
    {{ latest_version_as_of(source('raw', 'crm_opportunities'), 'opportunity_id') }}
)

select
    opportunity_id,
    account_id,
    -- the primary contact as the person it was merged into (stg_crm__lead_identities)
    coalesce(identities.person_id, versions.lead_id) as lead_id,
    name as opportunity_name,
    stage as opportunity_stage,
    owner_id,
    amount,
    coalesce(is_closed, false) and coalesce(closed_at, created_at) < {{ as_of_end() }} as is_closed,
    coalesce(is_won, false) and coalesce(closed_at, created_at) < {{ as_of_end() }} as is_won,
    created_at,
    case when closed_at < {{ as_of_end() }} then closed_at end as closed_at,
    coalesce(updated_at, created_at) as updated_at
from versions
left join {{ ref('stg_crm__lead_identities') }} as identities using (lead_id)

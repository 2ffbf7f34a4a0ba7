-- One row per sales task (call, e-mail, meeting) that happened before the end of the scoring day.
-- A table: the pulses, the SLA clocks and two tests read it (as a view, 0.5-1.4 s each at 1M tasks).
{{ config(materialized='table') }}
with versions as (
    {{ latest_version_as_of(source('raw', 'crm_tasks'), 'task_id') }}
)

select
    task_id,
    -- the person the lead or contact was merged into (stg_crm__lead_identities)
    coalesce(identities.person_id, versions.lead_id) as lead_id,
    owner_id,
    lower(trim(task_type)) as task_type,
    subject,
    lower(trim(status)) as task_status,
    coalesce(occurred_at, created_at) as occurred_at,
    created_at,
    coalesce(updated_at, created_at) as updated_at
from versions
left join {{ ref('stg_crm__lead_identities') }} as identities using (lead_id)
where coalesce(occurred_at, created_at) < {{ as_of_end() }}

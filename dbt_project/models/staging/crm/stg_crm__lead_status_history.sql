-- Every change of a lead's CRM status, from the successive versions in the raw exports: when
-- sales accepted, worked or handed back a lead. The first version counts as a change from
-- nothing. Versions updated after the end of the scoring day are not known yet. Records that
-- are the same person (stg_crm__lead_identities) share one history under the person's id.
-- A table: the lifecycle signals, the SLA clocks and a test read it (as a view, ~0.9 s each
-- at 1M leads).
{{ config(materialized='table') }}
with versions as (
    select
        coalesce(identities.person_id, raw_leads.lead_id) as lead_id,
        lower(trim(status)) as crm_status,
        coalesce(updated_at, created_at) as version_at,
        _loaded_at,
        _source_file,
        _source_row
    from {{ source('raw', 'crm_leads') }} as raw_leads
    left join {{ ref('stg_crm__lead_identities') }} as identities
        on identities.lead_id = raw_leads.lead_id
    where raw_leads.lead_id is not null
      and nullif(trim(status), '') is not null
      and coalesce(updated_at, created_at) < {{ as_of_end() }}
),

ordered as (
    select
        *,
        lag(crm_status) over (
            partition by lead_id
            order by version_at, _loaded_at, _source_file, _source_row
        ) as previous_status
    from versions
)

select
    lead_id,
    previous_status,
    crm_status,
    version_at as changed_at
from ordered
where previous_status is null or previous_status <> crm_status

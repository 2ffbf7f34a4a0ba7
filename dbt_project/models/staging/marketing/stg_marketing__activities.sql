-- One row per marketing-automation event that happened before the end of the scoring day.
-- The same event exported twice (overlapping exports) is kept once: the first one loaded.
with deduplicated as (
    select
        *,
        row_number() over (
            partition by activity_id order by _loaded_at, _source_file, _source_row
        ) as _duplicate_rank
    from {{ source('raw', 'marketing_activities') }}
    where occurred_at < {{ as_of_end() }}
)

select
    activity_id,
    nullif(trim(lead_id), '') as crm_lead_id,
    nullif(lower(trim(email)), '') as email,
    lower(trim(activity_type)) as activity_type,
    nullif(trim(url), '') as url,
    nullif(trim(form_name), '') as form_name,
    nullif(trim(campaign), '') as campaign,
    nullif(trim(asset), '') as asset,
    nullif(lower(trim(detail)), '') as detail,
    occurred_at,
    cast(occurred_at as date) as activity_date
from deduplicated
where _duplicate_rank = 1

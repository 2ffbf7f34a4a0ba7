-- One row per marketing-automation event that happened before the end of the scoring day.
-- The same event exported twice (overlapping exports) is kept once: the first one loaded.
-- Duplicates are rare, so only their ids are ranked: sorting every event of a 50M-row raw
-- table by id, all columns in tow, costs minutes; finding the few repeated ids costs seconds.
-- `not materialized`: read twice, the CTE would otherwise be copied whole first (50M rows,
-- 8 GB spilled to disk: 40 of the 100 seconds matching took at 1M leads).
with events as not materialized (
    select * from {{ source('raw', 'marketing_activities') }}
    where occurred_at < {{ as_of_end() }}
),

repeated_ids as (
    select activity_id from events group by activity_id having count(*) > 1
),

first_copies as (
    select events.*
    from events
    inner join repeated_ids on repeated_ids.activity_id = events.activity_id
    qualify row_number() over (
        partition by events.activity_id
        order by events._loaded_at, events._source_file, events._source_row
    ) = 1
),

deduplicated as (
    select events.*
    from events
    left join repeated_ids on repeated_ids.activity_id = events.activity_id
    where repeated_ids.activity_id is null

    union all

    select * from first_copies
)

select {{ canonical_activity_columns() }}
from deduplicated

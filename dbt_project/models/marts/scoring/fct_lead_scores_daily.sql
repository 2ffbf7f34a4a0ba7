{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='score_date',
        on_schema_change='append_new_columns',
        post_hook="{{ fill_score_history() }}",
    )
}}
-- Point-in-time score history: each lead's score as it stood at the end of a day.
--   * The scoring day of every nightly run: every lead known by then (this statement).
--   * Earlier days that have no scores yet (a first build, a --full-refresh, nights skipped),
--     back to history_days: filled by the post-hook (macros/score_history.sql), only at the
--     days something reads back: the event days of a lead that can qualify by score (a score
--     rises only on a day with events, so these hold every threshold crossing the lifecycle
--     looks for) and every lead's calibration decision day. In between, a lead's score only
--     decays. The hook works through the leads in batches, one statement each.
-- Each night adds its day; a re-run or backfill of a night replaces exactly that day.
-- The post-hook reads these too: depends_on: {{ ref('int_activities_scored') }}
with score_points as (
    select lead_id, {{ as_of_date() }} as score_date
    from {{ ref('stg_crm__leads') }}
    where cast(created_at as date) <= {{ as_of_date() }}
),

-- the scoring day as int_engagement_contributions explains it (computed once)
engagement as (
    select score_date, lead_id, sum(final_points) as engagement_points
    from {{ ref('int_engagement_contributions') }}
    group by score_date, lead_id
)

-- _scored_at: the run that wrote the row (the uniqueness test checks a night's rows only)
select *, {{ run_stamp() }} as _scored_at
from {{ lead_scores('score_points', 'engagement') }} as scores

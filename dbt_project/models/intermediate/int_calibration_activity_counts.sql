-- How many activities of each type every judged lead had done by its decision time: the
-- activity features of the shadow model (fct_calibration_features). One row per lead and
-- activity type, and one marker row per lead (feature null) with the decision time counted to.
--
-- Kept from night to night: a lead's counts change only when it is judged for the first time
-- or at another decision time, or when an event before its decision is matched to it (late, or
-- re-matched) or away from it since the last build. A night counts only those leads again
-- (at 1M leads a full count joins 226,000 judged leads with 43M events); the rows of leads no
-- longer judged are removed (post-hook). Any night without a usable record of the last build
-- (the first, a re-run of an earlier night, other rules, --full-refresh) counts every lead.
-- It reads who is judged from the calibration mart, and belongs to that group.
{{
    config(
        materialized='incremental',
        meta={'dagster': {'group': 'calibration'}},
        incremental_strategy='delete+insert',
        unique_key='lead_id',
        on_schema_change='fail',
        post_hook=[
            "delete from {{ this }} where lead_id not in (select lead_id from {{ ref('fct_calibration_leads') }} where {{ is_judged() }})",
            "{{ remember_build(with_history=false) }}",
        ],
    )
}}
{%- set previous = previous_build() %}
with judged as (
    select lead_id, cast(decision_date + to_days(1) as timestamp) as decided_at
    from {{ ref('fct_calibration_leads') }}
    where {{ is_judged() }}
),

to_count as (
    {%- if previous %}
    -- judged for the first time, or at another time than counted
    select judged.lead_id, judged.decided_at
    from judged
    left join {{ this }} as counted
        on counted.lead_id = judged.lead_id and counted.feature is null
    where counted._decided_at is distinct from judged.decided_at

    union

    -- an event before the decision matched to the lead, or away from it, since the last build
    select judged.lead_id, judged.decided_at
    from judged
    inner join ({{ leads_touched_since(timestamp_literal(previous.matched_until)) }}) as touched
        on touched.lead_id = judged.lead_id and touched.occurred_at < judged.decided_at
    {%- else %}
    select lead_id, decided_at from judged
    {%- endif %}
)

select
    lead_id,
    cast(null as {{ dbt.type_string() }}) as feature,
    cast(null as double) as feature_value,
    decided_at as _decided_at
from to_count

union all

select
    to_count.lead_id,
    'activity:' || activities.activity_type,
    cast(count(*) as double),
    to_count.decided_at
from to_count
inner join {{ ref('int_activities_matched_to_leads') }} as activities
    on activities.lead_id = to_count.lead_id
    and activities.occurred_at < to_count.decided_at
group by to_count.lead_id, activities.activity_type, to_count.decided_at

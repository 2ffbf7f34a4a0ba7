{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='score_date',
        on_schema_change='fail',
    )
}}
-- Engagement points per lead, rule and score date: every event inside the window, decayed by
-- its rule's half-life (0.5 ^ (days since the event / half-life)), summed per rule, then
-- capped at the rule's max_points. Kept per day so any past day's score can be explained.
with score_dates as (
    {{ score_dates_to_compute() }}
),

settings as (
    select window_days from {{ source('rules', 'engagement_settings') }}
),

scored_events as (
    select * from {{ ref('int_activities_scored') }}
),

events_in_window as (
    select
        score_dates.score_date,
        scored_events.lead_id,
        scored_events.rule_id,
        scored_events.points,
        scored_events.max_points,
        power(
            0.5,
            {{ dbt.datediff('scored_events.activity_date', 'score_dates.score_date', 'day') }}
            / scored_events.half_life_days
        ) as decay_factor
    from score_dates
    cross join settings
    inner join scored_events
        on scored_events.activity_date <= score_dates.score_date
        and scored_events.activity_date
            > {{ dbt.dateadd('day', '0 - settings.window_days', 'score_dates.score_date') }}
),

per_rule as (
    select
        score_date,
        lead_id,
        rule_id,
        max(max_points) as max_points,
        count(*) as occurrences,
        sum(points) as raw_points,
        sum(points * decay_factor) as decayed_points
    from events_in_window
    group by score_date, lead_id, rule_id
)

select
    score_date,
    lead_id,
    rule_id,
    occurrences,
    raw_points,
    {{ points('decayed_points') }} as decayed_points,
    -- the share of the raw points left after decay (1 = no decay yet)
    cast(round(case when raw_points <> 0 then decayed_points / raw_points end, 4) as decimal(10, 4)) as decay_factor,
    coalesce(abs(decayed_points) > max_points, false) as is_capped,
    {{ points('case when abs(decayed_points) > max_points then sign(decayed_points) * max_points else decayed_points end') }} as final_points
from per_rule

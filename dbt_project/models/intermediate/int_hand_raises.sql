-- The hand-raising events (lifecycle.yml `hand_raise_activity_types`: demo, contact, trial and
-- quote requests, inbound calls) with the lead each is matched to now, or none yet. A hand-raise
-- by a fitting lead makes it an SQL at once, so int_lifecycle_signals reads them for every lead
-- it recomputes. They are few (2M of 50M events at 1M leads) but lie in every row group of the
-- matched events: taking them out of those each night cost the signals 3 s of CPU.
--
-- Incremental: a night adds the events int_activities_matched_to_leads stamped since the last
-- build (_matched_at), and replaces the rows of those matched again (by activity id; an event
-- whose lead is gone keeps its row, with no lead). With other rules, a re-run of an earlier
-- night (it drops the events after that night), no record of the last build or --full-refresh,
-- every event is taken again.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='activity_id',
        on_schema_change='fail',
        meta={'dagster': {'group': 'lifecycle'}},
        pre_hook="{{ forget_rows_without_previous_build() }}",
        post_hook="{{ remember_build(with_history=false) }}",
    )
}}
{%- set previous = previous_build() %}
select
    matched.activity_id,
    matched.lead_id,
    matched.activity_type,
    matched.occurred_at,
    matched._matched_at
from {{ ref('int_activities_matched_to_leads') }} as matched
inner join {{ source('rules', 'lifecycle_activity_types') }} as roles
    on roles.activity_type = matched.activity_type and roles.role = 'hand_raise'
{%- if previous %}
where matched._matched_at > {{ timestamp_literal(previous.matched_until) }}
{%- endif %}

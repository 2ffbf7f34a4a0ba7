-- Engagement points per lead and rule at the end of the scoring day, after decay and caps
-- (see macros/engagement.sql): what fct_score_contributions explains and
-- fct_lead_scores_daily adds up. A table: computed once, read by both and by two tests.
{{ config(materialized='table') }}
with score_points as (
    select distinct lead_id, {{ as_of_date() }} as score_date
    from {{ ref('int_activities_scored') }}
)

select * from {{ engagement_contributions('score_points') }} as contributions

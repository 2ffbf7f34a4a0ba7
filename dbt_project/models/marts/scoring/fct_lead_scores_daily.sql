{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='score_date',
        on_schema_change='append_new_columns',
    )
}}
-- Point-in-time score history: each lead's score as it stood at the end of a day.
--   * The scoring day of every nightly run: every lead known by then.
--   * Earlier days no nightly run scored (a first build, a --full-refresh, nights skipped):
--     only the days something reads back: the event days of a lead that can qualify by score
--     (a score rises only on a day with events, so these hold every threshold crossing the
--     lifecycle looks for) and every lead's calibration decision day. In between, a lead's
--     score only decays.
-- Each night adds its day; a re-run or backfill of a night replaces exactly that day.
with score_dates as (
    {{ score_dates_to_compute() }}
),

leads as (
    select lead_id, cast(created_at as date) as created_date from {{ ref('stg_crm__leads') }}
),

fit as (
    select entity_id as lead_id, sum(fit_points) as fit_score
    from {{ ref('int_fit_contributions') }}
    where entity_kind = 'lead'
    group by entity_id
),

-- Leads that can become MQLs by score: not disqualified, and a fit grade within the MQL bar
-- of rules/lifecycle.yml (both judged on the lead's CRM record as it is now). Only their
-- event days are read back, by the lifecycle; computing the others would cost half the
-- history for nothing.
leads_that_can_qualify as (
    select leads.lead_id
    from leads
    left join fit on fit.lead_id = leads.lead_id
    inner join {{ source('rules', 'fit_grades') }} as grades
        on grades.min_score is null or coalesce(fit.fit_score, 0) >= grades.min_score
    cross join {{ source('rules', 'lifecycle_thresholds') }} as thresholds
    where leads.lead_id not in (select lead_id from {{ ref('int_leads_disqualified') }})
    group by leads.lead_id, thresholds.mql_max_fit_grade_rank
    having min(grades.grade_rank) <= thresholds.mql_max_fit_grade_rank
),

earlier_points as (
    select distinct scored.lead_id, scored.activity_date as score_date
    from {{ ref('int_activities_scored') }} as scored
    inner join score_dates on score_dates.score_date = scored.activity_date
    inner join leads_that_can_qualify on leads_that_can_qualify.lead_id = scored.lead_id

    union

    select leads.lead_id, cast({{ dbt.dateadd('day', 'settings.decision_age_days', 'leads.created_date') }} as date)
    from leads
    cross join {{ source('rules', 'calibration_settings') }} as settings
),

history_points as (
    select distinct earlier_points.lead_id, earlier_points.score_date
    from earlier_points
    inner join score_dates on score_dates.score_date = earlier_points.score_date
    inner join leads on leads.lead_id = earlier_points.lead_id
    where earlier_points.score_date < {{ as_of_date() }}
      and leads.created_date <= earlier_points.score_date
),

score_points as (
    select leads.lead_id, score_dates.score_date
    from score_dates
    inner join leads on leads.created_date <= score_dates.score_date
    where score_dates.score_date = {{ as_of_date() }}

    union all

    select lead_id, score_date from history_points
),

-- the scoring day as int_engagement_contributions explains it (computed once), earlier days
-- with the same arithmetic (macros/engagement.sql)
engagement as (
    select score_date, lead_id, sum(final_points) as engagement_points
    from {{ ref('int_engagement_contributions') }}
    group by score_date, lead_id

    union all

    select score_date, lead_id, engagement_points
    from {{ engagement_contributions('history_points', totals_only=true) }} as contributions
),

settings as (
    select * from {{ source('rules', 'engagement_settings') }}
),

scores as (
    select
        score_points.score_date,
        score_points.lead_id,
        {{ points('coalesce(fit.fit_score, 0)') }} as fit_score,
        {{ points('coalesce(engagement.engagement_points, 0)') }} as engagement_points,
        settings.score_floor,
        settings.score_ceiling
    from score_points
    cross join settings
    left join engagement
        on engagement.lead_id = score_points.lead_id
        and engagement.score_date = score_points.score_date
    left join fit on fit.lead_id = score_points.lead_id
),

limited as (
    select
        score_date,
        lead_id,
        fit_score,
        engagement_points,
        {{ points('case
            when engagement_points < score_floor then score_floor
            when engagement_points > score_ceiling then score_ceiling
            else engagement_points
        end') }} as engagement_score
    from scores
),

graded as (
    select
        limited.*,
        grades.grade as fit_grade,
        grades.grade_rank as fit_grade_rank,
        tiers.tier as engagement_tier,
        row_number() over (
            partition by limited.score_date, limited.lead_id
            order by grades.grade_rank, tiers.tier
        ) as band_rank
    from limited
    inner join {{ source('rules', 'fit_grades') }} as grades
        on grades.min_score is null or limited.fit_score >= grades.min_score
    inner join {{ source('rules', 'engagement_tiers') }} as tiers
        on tiers.min_score is null or limited.engagement_score >= tiers.min_score
)

select
    graded.lead_id,
    graded.score_date,
    graded.fit_score,
    graded.engagement_score,
    cast(graded.fit_score + graded.engagement_score as decimal(18, 2)) as total_score,
    -- engagement points before the floor and ceiling: the difference is explained as its own
    -- contribution in fct_score_contributions
    graded.engagement_points,
    graded.fit_grade,
    graded.fit_grade_rank,
    graded.engagement_tier,
    disqualified.disqualification_reason,
    version.rules_version
from graded
cross join {{ source('rules', 'rules_version') }} as version
left join {{ ref('int_leads_disqualified') }} as disqualified
    on disqualified.lead_id = graded.lead_id
where graded.band_rank = 1

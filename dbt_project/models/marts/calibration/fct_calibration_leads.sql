-- One row per lead whose outcome is known: its score as it stood at the decision time (from the
-- point-in-time history, so nothing that happened later leaks in) and whether it converted
-- within the horizon after that. The input of every calibration number.
--
-- A lead is known when the whole horizon after its decision time lies before the end of the
-- scoring day. Leads created before the score history starts have no decision-time score and
-- are left out rather than judged on a later score.
with settings as (
    select * from {{ source('rules', 'calibration_settings') }}
),

thresholds as (
    select * from {{ source('rules', 'lifecycle_thresholds') }}
),

first_reached as (
    select
        lead_id,
        min(case when to_stage = 'sql' then changed_at end) as first_sql_at,
        min(case when to_stage = 'opportunity' then changed_at end) as first_opportunity_at,
        min(case when to_stage = 'customer' then changed_at end) as first_customer_at
    from {{ ref('fct_lifecycle_stage_changes') }}
    group by lead_id
),

decisions as (
    select
        leads.lead_id,
        leads.created_at,
        cast(cast(leads.created_at as date) + to_days(settings.decision_age_days) as date) as decision_date,
        settings.horizon_days,
        case settings.outcome
            when 'sql' then first_reached.first_sql_at
            when 'opportunity' then first_reached.first_opportunity_at
            when 'customer' then first_reached.first_customer_at
        end as converted_at
    from {{ ref('stg_crm__leads') }} as leads
    cross join settings
    left join first_reached on first_reached.lead_id = leads.lead_id
),

known as (
    select
        *,
        -- the decision is taken at the end of the decision day
        cast(decision_date + to_days(1) as timestamp) as decided_at
    from decisions
    where cast(decision_date + to_days(1 + horizon_days) as timestamp) <= {{ as_of_end() }}
)

select
    known.lead_id,
    known.created_at,
    known.decision_date,
    scores.total_score,
    scores.fit_score,
    scores.engagement_score,
    scores.fit_grade,
    scores.fit_grade_rank,
    scores.engagement_tier,
    scores.disqualification_reason is not null as is_disqualified,
    -- the score bars of rules/lifecycle.yml as they stand today, applied to the decision-time
    -- score (hand-raises and sales acceptance also make SQLs; they are not a score bar)
    scores.total_score >= thresholds.mql_min_total_score
        and scores.engagement_score >= thresholds.mql_min_engagement_score
        and scores.fit_grade_rank <= thresholds.mql_max_fit_grade_rank as meets_mql_bar,
    scores.total_score >= thresholds.sql_min_total_score as meets_sql_bar,
    case
        when known.converted_at < known.decided_at then 'converted_before_decision'
        when known.converted_at < known.decided_at + to_days(known.horizon_days) then 'converted'
        else 'not_converted'
    end as outcome_status,
    known.converted_at,
    case
        when known.converted_at >= known.decided_at
            and known.converted_at < known.decided_at + to_days(known.horizon_days)
            then {{ dbt.datediff('known.created_at', 'known.converted_at', 'day') }}
    end as days_to_convert
from known
inner join {{ ref('fct_lead_scores_daily') }} as scores
    on scores.lead_id = known.lead_id
    and scores.score_date = known.decision_date
cross join thresholds

-- One row per lead: when it became an MQL and an SQL and why, what the CRM says happened next
-- (opportunity, customer, closed-lost, handed back), and its current stage as of the scoring day.
with leads as (
    select * from {{ ref('stg_crm__leads') }}
),

thresholds as (
    select * from {{ source('rules', 'lifecycle_thresholds') }}
),

scores as (
    select * from {{ ref('fct_lead_scores_daily') }}
    where score_date = {{ as_of_date() }}
),

daily as (
    select * from {{ ref('fct_lead_scores_daily') }}
    where score_date <= {{ as_of_date() }}
),

activities as (
    select * from {{ ref('int_activities_matched_to_leads') }}
    where lead_id is not null
),

-- MQL may require behaviours (rules/lifecycle.yml mql.required_activity_types): the day by
-- which a lead had done every required one.
required_behaviours as (
    select lead_id, max(first_date) as requirements_met_date, count(*) as types_done
    from (
        select activities.lead_id, activities.activity_type, min(activities.activity_date) as first_date
        from activities
        inner join {{ source('rules', 'lifecycle_activity_types') }} as roles
            on roles.activity_type = activities.activity_type and roles.role = 'mql_required'
        group by activities.lead_id, activities.activity_type
    ) as firsts
    group by lead_id
),

qualifying_days as (
    select
        daily.lead_id,
        min(daily.score_date) as first_mql_date,
        min(case when daily.total_score >= thresholds.sql_min_total_score then daily.score_date end) as first_sql_date
    from daily
    cross join thresholds
    left join required_behaviours on required_behaviours.lead_id = daily.lead_id
    where daily.disqualification_reason is null
      and daily.fit_grade_rank <= thresholds.mql_max_fit_grade_rank
      and daily.total_score >= thresholds.mql_min_total_score
      and daily.engagement_score >= thresholds.mql_min_engagement_score
      and (
          thresholds.mql_required_activity_count = 0
          or (required_behaviours.types_done = thresholds.mql_required_activity_count
              and daily.score_date >= required_behaviours.requirements_met_date)
      )
    group by daily.lead_id
),

-- A crossing day is stamped with the last scored event of that day: never earlier than the
-- lead really qualified. A day without events (a penalty expiring) is stamped at its start.
last_event_per_day as (
    select lead_id, activity_date, max(occurred_at) as last_event_at
    from {{ ref('int_activities_scored') }}
    group by lead_id, activity_date
),

score_crossings as (
    select
        qualifying_days.lead_id,
        coalesce(mql_event.last_event_at, cast(qualifying_days.first_mql_date as {{ dbt.type_timestamp() }})) as score_mql_at,
        coalesce(sql_event.last_event_at, cast(qualifying_days.first_sql_date as {{ dbt.type_timestamp() }})) as score_sql_at
    from qualifying_days
    left join last_event_per_day as mql_event
        on mql_event.lead_id = qualifying_days.lead_id
        and mql_event.activity_date = qualifying_days.first_mql_date
    left join last_event_per_day as sql_event
        on sql_event.lead_id = qualifying_days.lead_id
        and sql_event.activity_date = qualifying_days.first_sql_date
),

-- A hand-raise (demo, contact, trial, quote request, inbound call) by a lead that fits and is
-- not disqualified makes it an SQL at once.
hand_raises as (
    select lead_id, activity_type, occurred_at
    from (
        select
            activities.lead_id,
            activities.activity_type,
            activities.occurred_at,
            row_number() over (
                partition by activities.lead_id order by activities.occurred_at, activities.activity_id
            ) as raise_rank
        from activities
        inner join {{ source('rules', 'lifecycle_activity_types') }} as roles
            on roles.activity_type = activities.activity_type and roles.role = 'hand_raise'
        inner join scores on scores.lead_id = activities.lead_id
        cross join thresholds
        where scores.disqualification_reason is null
          and scores.fit_grade_rank <= thresholds.hand_raise_max_fit_grade_rank
    ) as ranked
    where raise_rank = 1
),

opportunities as (
    select
        lead_id,
        min(created_at) as first_opportunity_at,
        min(case when is_won then closed_at end) as won_at,
        max(case when is_closed and not is_won then closed_at end) as last_lost_at,
        sum(case when not is_closed then 1 else 0 end) as open_opportunities,
        sum(case when is_won then 1 else 0 end) as won_opportunities
    from {{ ref('stg_crm__opportunities') }}
    where lead_id is not null and created_at < {{ as_of_end() }}
    group by lead_id
),

stages as (
    select
        leads.lead_id,
        leads.owner_id,
        leads.crm_status,
        leads.lead_source,
        leads.created_at,
        scores.disqualification_reason,
        case
            when hand_raises.occurred_at is not null
                and (score_crossings.score_sql_at is null or hand_raises.occurred_at <= score_crossings.score_sql_at)
                then hand_raises.occurred_at
            else score_crossings.score_sql_at
        end as sql_at,
        case
            when hand_raises.occurred_at is not null
                and (score_crossings.score_sql_at is null or hand_raises.occurred_at <= score_crossings.score_sql_at)
                then 'hand_raise:' || hand_raises.activity_type
            when score_crossings.score_sql_at is not null then 'score'
        end as sql_reason,
        score_crossings.score_mql_at,
        opportunities.first_opportunity_at,
        opportunities.won_at,
        opportunities.last_lost_at,
        coalesce(opportunities.open_opportunities, 0) as open_opportunities,
        coalesce(opportunities.won_opportunities, 0) as won_opportunities,
        recycle.crm_status is not null as is_handed_back
    from leads
    inner join scores on scores.lead_id = leads.lead_id
    left join score_crossings on score_crossings.lead_id = leads.lead_id
    left join hand_raises on hand_raises.lead_id = leads.lead_id
    left join opportunities on opportunities.lead_id = leads.lead_id
    left join {{ source('rules', 'recycle_statuses') }} as recycle
        on recycle.crm_status = leads.crm_status
)

select
    lead_id,
    owner_id,
    lead_source,
    crm_status,
    created_at,
    -- a hand-raise SQL that skipped the MQL bar is fast-tracked: its MQL date is its SQL date
    case
        when score_mql_at is null or (sql_at is not null and sql_at < score_mql_at) then sql_at
        else score_mql_at
    end as mql_at,
    case
        when sql_at is not null and (score_mql_at is null or sql_at < score_mql_at) then 'fast_track'
        when score_mql_at is not null then 'score'
    end as mql_reason,
    sql_at,
    sql_reason,
    first_opportunity_at as opportunity_at,
    won_at as customer_at,
    case when won_opportunities = 0 and open_opportunities = 0 then last_lost_at end as closed_lost_at,
    disqualification_reason,
    case
        when won_opportunities > 0 then 'customer'
        when open_opportunities > 0 then 'opportunity'
        when last_lost_at is not null then 'closed_lost'
        when disqualification_reason is not null then 'disqualified'
        when is_handed_back and (sql_at is not null or score_mql_at is not null) then 'recycled'
        when sql_at is not null then 'sql'
        when score_mql_at is not null then 'mql'
        else 'lead'
    end as current_stage,
    {{ as_of_date() }} as as_of_date
from stages

-- Everything that can move a lead between lifecycle stages, with when and why:
--   mql / sql      a score crossing on a day with scored events (stamped with the last event
--                  of that day), a hand-raise by a fitting lead, or sales accepting the lead
--   recycle_crm    sales handing the lead back (CRM status)
--   opportunity, customer, closed_lost   from CRM opportunities
--   disqualified   a disqualifier applies
-- fct_lifecycle_stage_changes turns these signals into the stage history.
--
-- A table: the digest of every lead's inputs (int_lifecycle_inputs) reads all of it, the stage
-- history only the rows of the leads it rebuilds.
{{ config(materialized='table') }}
with thresholds as (
    select * from {{ source('rules', 'lifecycle_thresholds') }}
),

crm_statuses as (
    select * from {{ source('rules', 'lifecycle_crm_statuses') }}
),

leads as (
    select * from {{ ref('int_leads_enriched') }}
),

scores_today as (
    select * from {{ ref('fct_lead_scores_daily') }}
    where score_date = {{ as_of_date() }}
),

activities as (
    select * from {{ ref('int_activities_matched_to_leads') }}
    where lead_id is not null
),

-- MQL may require behaviours (lifecycle.yml mql.required_activity_types): the day by which the
-- lead had done every one of them
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

-- days on which the lead's score clears the MQL bar (and whether the SQL bar too)
qualifying_scores as (
    select
        daily.lead_id,
        daily.score_date,
        daily.total_score,
        daily.rules_version,
        daily.total_score >= thresholds.sql_min_total_score as reaches_sql_bar
    from {{ ref('fct_lead_scores_daily') }} as daily
    cross join thresholds
    left join required_behaviours on required_behaviours.lead_id = daily.lead_id
    where daily.score_date <= {{ as_of_date() }}
      and daily.disqualification_reason is null
      and daily.fit_grade_rank <= thresholds.mql_max_fit_grade_rank
      and daily.total_score >= thresholds.mql_min_total_score
      and daily.engagement_score >= thresholds.mql_min_engagement_score
      and (
          thresholds.mql_required_activity_count = 0
          or (required_behaviours.types_done = thresholds.mql_required_activity_count
              and daily.score_date >= required_behaviours.requirements_met_date)
      )
),

-- those of them with scored events, stamped with the day's last event: only these days'
-- events are read (grouping every lead-day of tens of millions of events cost more)
qualifying_days as (
    select
        qualifying_scores.lead_id,
        qualifying_scores.score_date,
        qualifying_scores.total_score,
        qualifying_scores.rules_version,
        qualifying_scores.reaches_sql_bar,
        max(scored.occurred_at) as last_event_at
    from qualifying_scores
    inner join {{ ref('int_activities_scored') }} as scored
        on scored.lead_id = qualifying_scores.lead_id
        and scored.activity_date = qualifying_scores.score_date
    group by
        qualifying_scores.lead_id,
        qualifying_scores.score_date,
        qualifying_scores.total_score,
        qualifying_scores.rules_version,
        qualifying_scores.reaches_sql_bar
),

version as (
    select rules_version from {{ source('rules', 'rules_version') }}
),

signals as (
    select lead_id, 'mql' as signal, last_event_at as signal_at, 'score' as reason, rules_version
    from qualifying_days

    union all

    select lead_id, 'sql', last_event_at, 'score', rules_version
    from qualifying_days
    where reaches_sql_bar

    union all

    -- a hand-raise by a lead that fits and is not disqualified
    select activities.lead_id, 'sql', activities.occurred_at, 'hand_raise:' || activities.activity_type, version.rules_version
    from activities
    inner join {{ source('rules', 'lifecycle_activity_types') }} as roles
        on roles.activity_type = activities.activity_type and roles.role = 'hand_raise'
    inner join scores_today on scores_today.lead_id = activities.lead_id
    cross join thresholds
    cross join version
    where scores_today.disqualification_reason is null
      and scores_today.fit_grade_rank <= thresholds.hand_raise_max_fit_grade_rank

    union all

    select history.lead_id, 'sql', history.changed_at, 'accepted:' || history.crm_status, version.rules_version
    from {{ ref('stg_crm__lead_status_history') }} as history
    inner join crm_statuses on crm_statuses.crm_status = history.crm_status and crm_statuses.role = 'accepted'
    inner join scores_today on scores_today.lead_id = history.lead_id
    cross join version
    where scores_today.disqualification_reason is null

    union all

    select history.lead_id, 'recycle_crm', history.changed_at, 'handed_back:' || history.crm_status, version.rules_version
    from {{ ref('stg_crm__lead_status_history') }} as history
    inner join crm_statuses on crm_statuses.crm_status = history.crm_status and crm_statuses.role = 'recycle'
    cross join version

    union all

    select opportunities.lead_id, 'opportunity', min(opportunities.created_at), 'opportunity:' || min(opportunities.opportunity_id), min(version.rules_version)
    from {{ ref('stg_crm__opportunities') }} as opportunities
    cross join version
    where opportunities.lead_id is not null
    group by opportunities.lead_id

    union all

    select opportunities.lead_id, 'customer', min(opportunities.closed_at), 'won:' || min(opportunities.opportunity_id), min(version.rules_version)
    from {{ ref('stg_crm__opportunities') }} as opportunities
    cross join version
    where opportunities.lead_id is not null and opportunities.is_won
    group by opportunities.lead_id

    union all

    -- closed-lost once every opportunity of the lead is closed and none was won
    select opportunities.lead_id, 'closed_lost', max(opportunities.closed_at), 'lost', min(version.rules_version)
    from {{ ref('stg_crm__opportunities') }} as opportunities
    cross join version
    where opportunities.lead_id is not null
    group by opportunities.lead_id
    having sum(case when opportunities.is_closed and not opportunities.is_won then 0 else 1 end) = 0

    union all

    -- disqualifiers look at who the lead is: it is disqualified from the moment we know it
    select leads.lead_id, 'disqualified', leads.created_at, 'disqualified:' || disqualified.disqualification_reason, version.rules_version
    from leads
    inner join {{ ref('int_leads_disqualified') }} as disqualified on disqualified.lead_id = leads.lead_id
    cross join version
)

select * from signals
where signal_at is not null and signal_at < {{ as_of_end() }}

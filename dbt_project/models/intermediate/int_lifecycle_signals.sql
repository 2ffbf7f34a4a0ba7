-- Everything that can move a lead between lifecycle stages, with when and why:
--   mql / sql      a score crossing on a day with scored events (stamped with the last event
--                  of that day), a hand-raise by a fitting lead, or sales accepting the lead
--   recycle_crm    sales handing the lead back (CRM status)
--   opportunity, customer, closed_lost   from CRM opportunities
--   disqualified   a disqualifier applies
-- fct_lifecycle_stage_changes turns these signals into the stage history.
--
-- Incremental by lead: a night recomputes only what can differ from last night's rows.
--   * A lead whose events changed (new, late or re-matched: int_activities_matched_to_leads
--     stamps them) from the day of its earliest changed event on. Scoring rescored the lead
--     from that same day (int_activities_scored), so the day's last scored events are among
--     the rows it wrote tonight; the score history of the days before tonight stays as each
--     night saw it.
--   * A lead whose fit grade or disqualification today differs from yesterday's (they decide
--     whether a hand-raise or sales' acceptance counts), or whose CRM signals (statuses,
--     opportunities, disqualifiers; computed for every lead, they are few) differ from the
--     rows kept: all its rows, its score crossings copied from those kept where its events
--     did not change.
-- Nothing else changes from one night to the next: a score crossing tonight needs an event
-- tonight. Any other night (the first, a re-run or backfill, skipped nights, new rules,
-- --full-refresh) rebuilds every lead (macros/build_record.sql). The `replace_leads_from`
-- strategy swaps each recomputed lead's rows from the instant its marker row (no signal)
-- names; `_built_at` is the run that wrote a row.
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_leads_from',
        unique_key='lead_id',
        marker_column='signal',
        replace_from_column='signal_at',
        on_schema_change='append_new_columns',
        post_hook="{{ remember_build() }}",
    )
}}
{% set previous = previous_night_build() %}
with thresholds as (
    select * from {{ source('rules', 'lifecycle_thresholds') }}
),

crm_statuses as (
    select * from {{ source('rules', 'lifecycle_crm_statuses') }}
),

version as (
    select rules_version from {{ source('rules', 'rules_version') }}
),

scores_today as (
    select * from {{ ref('fct_lead_scores_daily') }}
    where score_date = {{ as_of_date() }}
),

-- read three times each: computed once
status_history as materialized (
    select * from {{ ref('stg_crm__lead_status_history') }}
),

opportunities as materialized (
    select * from {{ ref('stg_crm__opportunities') }}
    where lead_id is not null
),

-- the signals from the CRM, of every lead
crm_signals as (
    select history.lead_id, 'sql' as signal, history.changed_at as signal_at, 'accepted:' || history.crm_status as reason, version.rules_version
    from status_history as history
    inner join crm_statuses on crm_statuses.crm_status = history.crm_status and crm_statuses.role = 'accepted'
    inner join scores_today on scores_today.lead_id = history.lead_id
    cross join version
    where scores_today.disqualification_reason is null

    union all

    select history.lead_id, 'recycle_crm', history.changed_at, 'handed_back:' || history.crm_status, version.rules_version
    from status_history as history
    inner join crm_statuses on crm_statuses.crm_status = history.crm_status and crm_statuses.role = 'recycle'
    cross join version

    union all

    select opportunities.lead_id, 'opportunity', min(opportunities.created_at), 'opportunity:' || min(opportunities.opportunity_id), min(version.rules_version)
    from opportunities
    cross join version
    group by opportunities.lead_id

    union all

    select opportunities.lead_id, 'customer', min(opportunities.closed_at), 'won:' || min(opportunities.opportunity_id), min(version.rules_version)
    from opportunities
    cross join version
    where opportunities.is_won
    group by opportunities.lead_id

    union all

    -- closed-lost once every opportunity of the lead is closed and none was won
    select opportunities.lead_id, 'closed_lost', max(opportunities.closed_at), 'lost', min(version.rules_version)
    from opportunities
    cross join version
    group by opportunities.lead_id
    having sum(case when opportunities.is_closed and not opportunities.is_won then 0 else 1 end) = 0

    union all

    -- disqualifiers look at who the lead is: it is disqualified from the moment we know it
    select leads.lead_id, 'disqualified', leads.created_at, 'disqualified:' || disqualified.disqualification_reason, version.rules_version
    from {{ ref('int_leads_enriched') }} as leads
    inner join {{ ref('int_leads_disqualified') }} as disqualified on disqualified.lead_id = leads.lead_id
    cross join version
),

{% if previous %}
{%- set crm_signal_columns = ['signal', 'signal_at', 'reason', 'rules_version'] %}
{%- set touched_sql = leads_touched_since(timestamp_literal(previous.matched_until)) %}
{#- the earliest changed event, a constant: the score history is read from its day on only -#}
{%- set earliest_changed = run_query(
    "select min(occurred_at) from (" ~ touched_sql ~ ") as touched"
).rows[0][0] if execute else none %}
-- the leads whose events changed since last night, from the start of the day of the earliest
events_changed as (
    select lead_id, {{ day_start('min(occurred_at)') }} as changed_from
    from ({{ touched_sql }}) as touched
    group by lead_id
),

scores_yesterday as (
    select * from {{ ref('fct_lead_scores_daily') }}
    where score_date = {{ dbt.dateadd('day', -1, as_of_date()) }}
),

-- the leads whose fit or disqualification moved, or whose CRM signals changed
recomputed_whole as (
    select coalesce(scores_today.lead_id, scores_yesterday.lead_id) as lead_id
    from scores_today
    full join scores_yesterday on scores_yesterday.lead_id = scores_today.lead_id
    where scores_today.lead_id is null
       or scores_yesterday.lead_id is null
       or scores_today.fit_grade_rank is distinct from scores_yesterday.fit_grade_rank
       or scores_today.disqualification_reason is distinct from scores_yesterday.disqualification_reason

    union

    -- (compared as a digest per lead, like the stage history's inputs: a row-by-row EXCEPT
    -- ALL of the 0.9M CRM signals on each side sorted them four times, 1.4 s more a night)
    select coalesce(tonight.lead_id, kept.lead_id)
    from (
        select lead_id, {{ multiset_digest(crm_signal_columns) }} as signals_digest
        from crm_signals
        where signal_at < {{ as_of_end() }}
        group by lead_id
    ) as tonight
    full join (
        select lead_id, {{ multiset_digest(crm_signal_columns) }} as signals_digest
        from {{ this }}
        where {{ is_crm_signal() }}
        group by lead_id
    ) as kept on kept.lead_id = tonight.lead_id
    where tonight.signals_digest is distinct from kept.signals_digest
),

-- each lead recomputed tonight, from when (null: all its rows)
leads_in_scope as materialized (
    select
        coalesce(events_changed.lead_id, recomputed_whole.lead_id) as lead_id,
        case when recomputed_whole.lead_id is null then events_changed.changed_from end as replace_from,
        events_changed.changed_from as events_changed_from
    from events_changed
    full join (select distinct lead_id from recomputed_whole) as recomputed_whole
        on recomputed_whole.lead_id = events_changed.lead_id
),

{% endif %}
-- the hand-raising events, kept apart from the tens of millions of others as they are matched
hand_raises as (
    select lead_id, activity_type, occurred_at
    from {{ ref('int_hand_raises') }}
    where lead_id is not null
),

-- MQL may require behaviours (lifecycle.yml mql.required_activity_types): the day by which the
-- lead had done every one of them
required_behaviours as (
    select lead_id, max(first_date) as requirements_met_date, count(*) as types_done
    from (
        select activities.lead_id, activities.activity_type, min(activities.activity_date) as first_date
        from {{ ref('int_activities_matched_to_leads') }} as activities
        inner join {{ source('rules', 'lifecycle_activity_types') }} as roles
            on roles.activity_type = activities.activity_type and roles.role = 'mql_required'
        {% if previous %}
        inner join events_changed on events_changed.lead_id = activities.lead_id
        {% endif %}
        where activities.lead_id is not null
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
    {% if previous %}
    inner join events_changed
        on events_changed.lead_id = daily.lead_id
        and daily.score_date >= cast(events_changed.changed_from as date)
    {% endif %}
    where daily.score_date <= {{ as_of_date() }}
      {%- if previous and earliest_changed is not none %}
      -- implied by the join to events_changed; as a constant it keeps the other days' 7M rows
      -- (at 1M leads) out of the join
      and daily.score_date >= cast({{ timestamp_literal(earliest_changed) }} as date)
      {%- endif %}
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
-- events are read (grouping every lead-day of tens of millions of events cost more); on a
-- night, only the events scored since the last build (whole days of the changed leads)
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
    {% if previous %}
    where scored._scored_at > {{ timestamp_literal(previous.built_at) }}
    {% endif %}
    group by
        qualifying_scores.lead_id,
        qualifying_scores.score_date,
        qualifying_scores.total_score,
        qualifying_scores.rules_version,
        qualifying_scores.reaches_sql_bar
),

signals as (
    select lead_id, 'mql' as signal, last_event_at as signal_at, 'score' as reason, rules_version
    from qualifying_days

    union all

    select lead_id, 'sql', last_event_at, 'score', rules_version
    from qualifying_days
    where reaches_sql_bar

    {% if previous %}
    union all

    -- a lead recomputed whole keeps the score crossings its events did not change
    select kept.lead_id, kept.signal, kept.signal_at, kept.reason, kept.rules_version
    from {{ this }} as kept
    inner join leads_in_scope on leads_in_scope.lead_id = kept.lead_id
    where kept.reason = 'score'
      and leads_in_scope.replace_from is null
      and (leads_in_scope.events_changed_from is null or kept.signal_at < leads_in_scope.events_changed_from)
    {% endif %}

    union all

    -- a hand-raise by a lead that fits and is not disqualified
    select hand_raises.lead_id, 'sql', hand_raises.occurred_at, 'hand_raise:' || hand_raises.activity_type, version.rules_version
    from hand_raises
    inner join scores_today on scores_today.lead_id = hand_raises.lead_id
    {% if previous %}
    inner join leads_in_scope
        on leads_in_scope.lead_id = hand_raises.lead_id
        and (leads_in_scope.replace_from is null or hand_raises.occurred_at >= leads_in_scope.replace_from)
    {% endif %}
    cross join thresholds
    cross join version
    where scores_today.disqualification_reason is null
      and scores_today.fit_grade_rank <= thresholds.hand_raise_max_fit_grade_rank

    union all

    select crm_signals.*
    from crm_signals
    {% if previous %}
    inner join leads_in_scope
        on leads_in_scope.lead_id = crm_signals.lead_id
        and (leads_in_scope.replace_from is null or crm_signals.signal_at >= leads_in_scope.replace_from)
    {% endif %}
)

select *, {{ run_stamp() }} as _built_at
from signals
where signal_at is not null and signal_at < {{ as_of_end() }}
{% if is_incremental() %}

union all

-- one marker row per lead recomputed, with the instant its rows are replaced from
{% if previous %}
select lead_id, null, replace_from, null, null, null
from leads_in_scope
{% else %}
select distinct lead_id, null, null, null, null, null
from {{ this }}
{% endif %}
{% endif %}

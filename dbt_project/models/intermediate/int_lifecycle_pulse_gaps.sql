-- The pulses that keep an SQL alive (its scored events and completed sales tasks), of every
-- lead with an SQL signal, reduced to what can recycle it. An SQL is recycled after
-- lifecycle.yml recycle.inactive_sql_days without a pulse, so of the tens of pulses of a lead
-- only these rows matter:
--   first   its first pulse (gap_to), with no gap_from: the time before it;
--   long    each gap between two pulses longer than the recycle period (gap_from to gap_to);
--   last    its last pulse (gap_from), with no gap_to: the gap still open.
-- fct_lifecycle_stage_changes finds each SQL's idle periods in these few rows instead of its
-- pulses, and int_lifecycle_inputs digests them: a pulse inside a shorter gap, or one that
-- only moves the last pulse of an active SQL, changes no stage history.
--
-- Incremental: most SQLs with new events tonight only add pulses after their last one, and
-- their rows carry on from it with the events scored tonight. A lead is computed again from
-- all its pulses when it is a new SQL, when its completed sales tasks changed (`_tasks_digest`)
-- or when an event changed up to its last pulse (late, or matched to another lead). Any other
-- night (the first, a re-run of an earlier one, new rules, --full-refresh) computes every
-- lead (macros/build_record.sql). The `replace_leads_from` strategy swaps all rows of each
-- lead a marker row (no gap_kind) names, and drops those of a lead that is no SQL any more.
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_leads_from',
        unique_key='lead_id',
        marker_column='gap_kind',
        replace_from_column='gap_to',
        on_schema_change='append_new_columns',
        post_hook="{{ remember_build(with_history=false) }}",
    )
}}
{% set previous = previous_build() if incremental_with_column('_tasks_digest') else none %}
with thresholds as (
    select recycle_inactive_sql_days from {{ source('rules', 'lifecycle_thresholds') }}
),

-- only an SQL can be recycled for lack of pulses: only leads with an SQL signal need them
sql_leads as (
    select distinct lead_id from {{ ref('int_lifecycle_signals') }} where signal = 'sql'
),

completed_tasks as (
    select tasks.lead_id, tasks.occurred_at
    from {{ ref('stg_crm__tasks') }} as tasks
    inner join sql_leads on sql_leads.lead_id = tasks.lead_id
    where tasks.task_status = 'completed'
),

task_digests as (
    select lead_id, {{ multiset_digest(['occurred_at']) }} as tasks_digest
    from completed_tasks
    group by lead_id
),

{% if previous %}
kept as (
    select
        lead_id,
        max(case when gap_kind = 'last' then gap_from end) as last_pulse_at,
        max(_tasks_digest) as tasks_digest
    from {{ this }}
    group by lead_id
),

-- the leads whose events changed since the last build, from the earliest changed event
events_changed as (
    select lead_id, min(occurred_at) as changed_from
    from ({{ leads_touched_since(timestamp_literal(previous.matched_until)) }}) as touched
    group by lead_id
),

-- computed from all their pulses: new SQLs, SQLs whose sales tasks changed, SQLs with an
-- event changed up to their last pulse
recomputed as (
    select sql_leads.lead_id
    from sql_leads
    left join kept on kept.lead_id = sql_leads.lead_id
    left join task_digests on task_digests.lead_id = sql_leads.lead_id
    left join events_changed on events_changed.lead_id = sql_leads.lead_id
    where kept.lead_id is null
       or kept.tasks_digest is distinct from task_digests.tasks_digest
       or events_changed.changed_from <= kept.last_pulse_at
),

-- carried on from their last pulse: the other SQLs with new events
extended as (
    select kept.lead_id, kept.last_pulse_at
    from kept
    inner join sql_leads on sql_leads.lead_id = kept.lead_id
    inner join events_changed on events_changed.lead_id = kept.lead_id
    where not exists (select 1 from recomputed where recomputed.lead_id = kept.lead_id)
),

{% endif %}
targets as (
    select lead_id from {{ 'recomputed' if previous else 'sql_leads' }}
),

-- (a pulse repeated at the same instant only adds a gap of nothing)
pulses as (
    select
        lead_id,
        pulse_at,
        is_carried,
        lag(pulse_at) over (partition by lead_id order by pulse_at) as previous_pulse_at,
        lead(pulse_at) over (partition by lead_id order by pulse_at) as next_pulse_at
    from (
        select scored.lead_id, scored.occurred_at as pulse_at, false as is_carried
        from {{ ref('int_activities_scored') }} as scored
        inner join targets on targets.lead_id = scored.lead_id

        union all

        select completed_tasks.lead_id, completed_tasks.occurred_at, false
        from completed_tasks
        inner join targets on targets.lead_id = completed_tasks.lead_id
        {% if previous %}

        union all

        -- an extended lead's last pulse, and its events scored tonight after it
        select lead_id, last_pulse_at, true
        from extended

        union all

        select scored.lead_id, scored.occurred_at, false
        from {{ ref('int_activities_scored') }} as scored
        inner join extended
            on extended.lead_id = scored.lead_id
            and scored.occurred_at > extended.last_pulse_at
        where scored._scored_at > {{ timestamp_literal(previous.built_at) }}
        {% endif %}
    ) as pulses
),

gaps as (
    select lead_id, 'first' as gap_kind, cast(null as {{ dbt.type_timestamp() }}) as gap_from, pulse_at as gap_to
    from pulses
    where previous_pulse_at is null and not is_carried

    union all

    select pulses.lead_id, 'long', pulses.previous_pulse_at, pulses.pulse_at
    from pulses
    cross join thresholds
    where {{ idle_sql_recycled_at('pulses.previous_pulse_at') }} < pulses.pulse_at

    union all

    select lead_id, 'last', pulse_at, cast(null as {{ dbt.type_timestamp() }})
    from pulses
    where next_pulse_at is null
    {% if previous %}

    union all

    -- an extended lead's first pulse and long gaps, as they were
    select kept_gaps.lead_id, kept_gaps.gap_kind, kept_gaps.gap_from, kept_gaps.gap_to
    from {{ this }} as kept_gaps
    inner join extended on extended.lead_id = kept_gaps.lead_id
    where kept_gaps.gap_kind <> 'last'
    {% endif %}
)

select gaps.*, task_digests.tasks_digest as _tasks_digest
from gaps
left join task_digests on task_digests.lead_id = gaps.lead_id
{% if is_incremental() %}

union all

-- one marker row per lead whose rows are replaced, or dropped (no SQL any more)
{% if previous %}
select lead_id, null, null, null, null from recomputed
union all
select lead_id, null, null, null, null from extended
union all
select kept.lead_id, null, null, null, null
from kept
where not exists (select 1 from sql_leads where sql_leads.lead_id = kept.lead_id)
{% else %}
select distinct lead_id, null, null, null, null from {{ this }}
{% endif %}
{% endif %}

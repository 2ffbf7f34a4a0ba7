-- The pulses that keep an SQL alive (its scored events and completed sales tasks, see
-- macros/lifecycle.sql), of every lead with an SQL signal, reduced to what can recycle it. An
-- SQL is recycled after lifecycle.yml recycle.inactive_sql_days without a pulse, so of the
-- tens of pulses of a lead only these rows matter:
--   first   its first pulse (gap_to), with no gap_from: the time before it;
--   long    each gap between two pulses longer than the recycle period (gap_from to gap_to);
--   last    its last pulse (gap_from), with no gap_to: the gap still open.
-- fct_lifecycle_stage_changes finds each SQL's idle periods in these few rows instead of its
-- pulses, and int_lifecycle_inputs digests them: a pulse inside a shorter gap, or one that
-- only moves the last pulse of an active SQL, changes no stage history.
{{ config(materialized='table') }}
with thresholds as (
    select recycle_inactive_sql_days from {{ source('rules', 'lifecycle_thresholds') }}
),

-- (a pulse repeated at the same instant only adds a gap of nothing)
pulses as (
    select
        lead_id,
        pulse_at,
        lag(pulse_at) over (partition by lead_id order by pulse_at) as previous_pulse_at,
        lead(pulse_at) over (partition by lead_id order by pulse_at) as next_pulse_at
    from ({{ lifecycle_pulses(ref('int_lifecycle_signals')) }}) as pulses
)

select lead_id, 'first' as gap_kind, cast(null as {{ dbt.type_timestamp() }}) as gap_from, pulse_at as gap_to
from pulses
where previous_pulse_at is null

union all

select pulses.lead_id, 'long', pulses.previous_pulse_at, pulses.pulse_at
from pulses
cross join thresholds
where {{ dbt.dateadd('day', 'thresholds.recycle_inactive_sql_days', 'pulses.previous_pulse_at') }} < pulses.pulse_at

union all

select lead_id, 'last', pulse_at, cast(null as {{ dbt.type_timestamp() }})
from pulses
where next_pulse_at is null

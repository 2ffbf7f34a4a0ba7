-- One row per lead: a digest of everything its stage history is computed from (its creation,
-- its lifecycle signals, the pulses that keep an SQL alive, the rules version) and its last
-- pulse. fct_lifecycle_stage_changes rebuilds a lead's history only when this digest differs
-- from the one it was built from, or when time passing can recycle an idle SQL.
--
-- Of the pulses, the digest takes what a history can depend on (int_lifecycle_pulse_gaps):
-- the first pulse, the gaps long enough to recycle an SQL, and the open gap after the last
-- pulse once it is that long. While that gap is shorter, moving the last pulse (an active SQL
-- engaging again, which at 1M leads is 47k leads a night) changes no history, and an SQL
-- going idle is the time rule's (`last_pulse_at`).
{{ config(materialized='table') }}
with leads as (
    select lead_id, created_at from {{ ref('stg_crm__leads') }}
),

signals as (
    select * from {{ ref('int_lifecycle_signals') }}
),

version as (
    select rules_version from {{ source('rules', 'rules_version') }}
),

signal_digests as (
    select
        lead_id,
        {{ multiset_digest(['signal', 'signal_at', 'reason', 'rules_version']) }} as signals_digest
    from signals
    group by lead_id
),

thresholds as (
    select recycle_inactive_sql_days from {{ source('rules', 'lifecycle_thresholds') }}
),

pulse_gaps as (
    select * from {{ ref('int_lifecycle_pulse_gaps') }}
),

pulse_digests as (
    select pulse_gaps.lead_id, {{ multiset_digest(['gap_kind', 'gap_from', 'gap_to']) }} as pulses_digest
    from pulse_gaps
    cross join thresholds
    where pulse_gaps.gap_kind <> 'last'
       or {{ idle_sql_recycled_at('pulse_gaps.gap_from') }} < {{ as_of_end() }}
    group by pulse_gaps.lead_id
),

last_pulses as (
    select lead_id, gap_from as last_pulse_at
    from pulse_gaps
    where gap_kind = 'last'
)

select
    leads.lead_id,
    {{ digest([
        'leads.created_at',
        'version.rules_version',
        'signal_digests.signals_digest',
        'pulse_digests.pulses_digest'
    ]) }} as inputs_digest,
    last_pulses.last_pulse_at
from leads
cross join version
left join signal_digests on signal_digests.lead_id = leads.lead_id
left join pulse_digests on pulse_digests.lead_id = leads.lead_id
left join last_pulses on last_pulses.lead_id = leads.lead_id

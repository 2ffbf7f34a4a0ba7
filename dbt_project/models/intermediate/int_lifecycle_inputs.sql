-- One row per lead: a digest of everything its stage history is computed from (its creation,
-- its lifecycle signals, the pulses that keep an SQL alive, the rules version) and its last
-- pulse. fct_lifecycle_stage_changes rebuilds a lead's history only when this digest differs
-- from the one it was built from, or when time passing can recycle an idle SQL.
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

-- only an SQL can be recycled for lack of pulses: only leads with an SQL signal have them
pulse_digests as (
    select lead_id, {{ multiset_digest(['pulse_at']) }} as pulses_digest, max(pulse_at) as last_pulse_at
    from ({{ lifecycle_pulses('signals') }}) as pulses
    group by lead_id
)

select
    leads.lead_id,
    {{ digest([
        'leads.created_at',
        'version.rules_version',
        'signal_digests.signals_digest',
        'pulse_digests.pulses_digest'
    ]) }} as inputs_digest,
    pulse_digests.last_pulse_at
from leads
cross join version
left join signal_digests on signal_digests.lead_id = leads.lead_id
left join pulse_digests on pulse_digests.lead_id = leads.lead_id

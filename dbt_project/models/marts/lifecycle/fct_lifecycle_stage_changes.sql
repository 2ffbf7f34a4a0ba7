-- The stage history: one row per stage change of every lead, with the reason (which rule,
-- event or CRM change) and the rules version. Computed from the lifecycle signals (the raw
-- layer and the daily score history), so re-runs, backfills and --full-refresh neither
-- duplicate nor lose it.
--
-- Stages move forward only: lead -> mql -> sql -> opportunity -> customer (or closed_lost).
-- A lead goes back only by being recycled (sales hands it back, or an SQL shows no engagement
-- and no sales touch for recycle.inactive_sql_days) or disqualified. A recycled lead starts a
-- new cycle and qualifies again on new signals after the recycle. An opportunity ends the
-- marketing cycles: from then on only the CRM's outcome moves the lead.
--
-- Incremental: a lead's history is a function of its inputs (int_lifecycle_inputs: creation,
-- signals, pulses, rules version) and of the scoring day only through an idle SQL being
-- recycled. A night rebuilds the leads whose inputs digest differs from the one their rows
-- carry (`_inputs_digest`), the SQLs whose idle time runs out by the end of the scoring day,
-- and, on a backfill, the leads with changes after it; every other lead keeps its rows. A
-- change of rules changes every digest. The `replace_leads_from` strategy swaps all rows of
-- each rebuilt lead (marker rows without a change_number name them).
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_leads_from',
        unique_key='lead_id',
        marker_column='change_number',
        replace_from_column='changed_at',
        on_schema_change='append_new_columns',
    )
}}
{% set cycles = var('max_lifecycle_cycles') | int %}
{#- a table built before the digest existed: every lead is rebuilt once, and gains it -#}
{% set has_digest = incremental_with_column('_inputs_digest') %}
with inputs as (
    select * from {{ ref('int_lifecycle_inputs') }}
),

thresholds as (
    select * from {{ source('rules', 'lifecycle_thresholds') }}
),

{% if is_incremental() %}
-- each lead's current row, the last of its history (the only one without valid_until):
-- its stage, since when, and the digest all its rows carry (a rebuilt lead's rows are all
-- replaced). Read as rows, not grouped: an aggregate over every change (3M at 1M leads) was
-- a fifth of the statement's operator time.
built as (
    select
        lead_id,
        {{ '_inputs_digest' if has_digest else 'null' }} as inputs_digest,
        to_stage as current_stage,
        -- the lead's last change, so also the latest time it has a change at
        changed_at as current_since
    from {{ this }}
    where valid_until is null
),

leads_to_rebuild as (
    select coalesce(inputs.lead_id, built.lead_id) as lead_id
    from inputs
    full join built on built.lead_id = inputs.lead_id
    cross join thresholds
    where inputs.inputs_digest is distinct from built.inputs_digest
       -- a backfill of an earlier night: the changes after it go
       or built.current_since >= {{ as_of_end() }}
       -- an SQL idle since its last pulse (or since it became one) for the recycle period
       or (built.current_stage = 'sql'
           and {{ idle_sql_recycled_at(
                   'greatest(built.current_since, coalesce(inputs.last_pulse_at, built.current_since))'
               ) }} < {{ as_of_end() }})
),

{% endif %}
leads as (
    select leads.lead_id, leads.created_at
    from {{ ref('stg_crm__leads') }} as leads
    {% if is_incremental() %}
    inner join leads_to_rebuild on leads_to_rebuild.lead_id = leads.lead_id
    {% endif %}
),

-- read by every cycle below: computed once
signals as materialized (
    select signals.*
    from {{ ref('int_lifecycle_signals') }} as signals
    inner join leads on leads.lead_id = signals.lead_id
),

version as (
    select rules_version from {{ source('rules', 'rules_version') }}
),

-- opportunities and disqualification end the marketing cycles
terminal as (
    select
        leads.lead_id,
        min(case when signals.signal = 'opportunity' then signals.signal_at end) as opportunity_at,
        min(case when signals.signal = 'disqualified' then signals.signal_at end) as disqualified_at
    from leads
    left join signals on signals.lead_id = leads.lead_id
    group by leads.lead_id
),

-- engagement and sales touches: an SQL without either for too long is recycled. Of its
-- pulses (tens of millions at 1M leads) only the first, the last and the gaps longer than
-- the recycle period can recycle it: int_lifecycle_pulse_gaps keeps those few rows per lead.
pulse_gaps as materialized (
    select gaps.*
    from {{ ref('int_lifecycle_pulse_gaps') }} as gaps
    inner join leads on leads.lead_id = gaps.lead_id
),

-- a lead is known from its first trace: its CRM record, or an earlier event or deal
first_traces as (
    select leads.lead_id, min(signals.signal_at) as first_signal_at
    from leads
    inner join signals on signals.lead_id = leads.lead_id
    group by leads.lead_id
),

cycle_0_end as (
    select
        leads.lead_id,
        case when first_traces.first_signal_at < leads.created_at
            then first_traces.first_signal_at else leads.created_at end as recycle_at,
        terminal.opportunity_at,
        terminal.disqualified_at,
        coalesce(least(terminal.opportunity_at, terminal.disqualified_at), terminal.opportunity_at, terminal.disqualified_at) as ends_at
    from leads
    inner join terminal on terminal.lead_id = leads.lead_id
    left join first_traces on first_traces.lead_id = leads.lead_id
),

{% for k in range(1, cycles + 1) %}
-- cycle {{ k }}: from the {{ 'creation' if k == 1 else 'recycle' }} of the lead
{% if k == 1 -%}
{%- set cycle_signals = 'signals' -%}
{%- else -%}
{%- set cycle_signals = 'cycle_' ~ k ~ '_signals' -%}
-- the signals this cycle can still use: those of the leads recycled out of the last cycle,
-- after the recycle. Each cycle reads the few rows left by the one before, not every signal
-- of the night's leads again (DuckDB cannot tell how few leads reach a later cycle, and took
-- the millions of signals as the side to hash, once per cycle: ~1.5 s of CPU a night at 1M
-- leads).
{{ cycle_signals }} as materialized (
    select signals.*
    from {{ 'signals' if k == 2 else 'cycle_' ~ (k - 1) ~ '_signals' }} as signals
    inner join cycle_{{ k - 1 }}_end as previous
        on previous.lead_id = signals.lead_id
        and signals.signal_at > previous.recycle_at
        and (previous.ends_at is null or signals.signal_at < previous.ends_at)
),

{% endif -%}
-- its first MQL and first SQL signal (by time, then reason): an aggregate, not a ranking of
-- every signal (a night at 1M leads ranks millions of them)
cycle_{{ k }}_firsts as (
    select lead_id, signal, first_signal.signal_at, first_signal.reason, first_signal.rules_version
    from (
        select
            previous.lead_id,
            signals.signal,
            min({'signal_at': signals.signal_at, 'reason': signals.reason, 'rules_version': signals.rules_version}) as first_signal
        from cycle_{{ k - 1 }}_end as previous
        inner join {{ cycle_signals }} as signals
            on signals.lead_id = previous.lead_id
            and signals.signal in ('mql', 'sql')
            and signals.signal_at {{ '>=' if k == 1 else '>' }} previous.recycle_at
            and (previous.ends_at is null or signals.signal_at < previous.ends_at)
        where previous.recycle_at is not null
        group by previous.lead_id, signals.signal
    ) as firsts
),

cycle_{{ k }}_entered as (
    select
        previous.lead_id,
        previous.opportunity_at,
        previous.disqualified_at,
        previous.ends_at,
        mql_signal.signal_at as mql_signal_at,
        mql_signal.reason as mql_signal_reason,
        mql_signal.rules_version as mql_signal_rules_version,
        sql_signal.signal_at as sql_signal_at,
        sql_signal.reason as sql_signal_reason,
        sql_signal.rules_version as sql_signal_rules_version,
        -- the lead enters the cycle at its first MQL or SQL signal: an SQL before any MQL
        -- crossing is fast-tracked, an MQL at the same moment
        case when sql_signal.signal_at < mql_signal.signal_at or mql_signal.signal_at is null
            then sql_signal.signal_at else mql_signal.signal_at end as mql_at
    from cycle_{{ k - 1 }}_end as previous
    left join cycle_{{ k }}_firsts as mql_signal
        on mql_signal.lead_id = previous.lead_id and mql_signal.signal = 'mql'
    left join cycle_{{ k }}_firsts as sql_signal
        on sql_signal.lead_id = previous.lead_id and sql_signal.signal = 'sql'
    where previous.recycle_at is not null
),

-- sales handing the lead back after it entered the cycle ends the cycle
cycle_{{ k }}_handed_back as (
    select entered.lead_id, min(signals.signal_at) as handed_back_at, min(signals.reason) as reason
    from cycle_{{ k }}_entered as entered
    inner join {{ cycle_signals }} as signals
        on signals.lead_id = entered.lead_id
        and signals.signal = 'recycle_crm'
        and signals.signal_at > entered.mql_at
        and (entered.ends_at is null or signals.signal_at < entered.ends_at)
    group by entered.lead_id
),

cycle_{{ k }}_qualified as (
    select
        entered.lead_id,
        entered.opportunity_at,
        entered.disqualified_at,
        entered.ends_at,
        entered.mql_at,
        case
            when entered.mql_at is null then null
            when entered.mql_signal_at is null or entered.sql_signal_at < entered.mql_signal_at
                then 'fast_track'
            else entered.mql_signal_reason
        end as mql_reason,
        coalesce(entered.mql_signal_rules_version, entered.sql_signal_rules_version) as mql_rules_version,
        handed_back.handed_back_at,
        handed_back.reason as handed_back_reason,
        -- an SQL signal after sales handed the lead back belongs to the next cycle
        case when handed_back.handed_back_at is null or entered.sql_signal_at <= handed_back.handed_back_at
            then entered.sql_signal_at end as sql_at,
        case when handed_back.handed_back_at is null or entered.sql_signal_at <= handed_back.handed_back_at
            then entered.sql_signal_reason end as sql_reason,
        entered.sql_signal_rules_version as sql_rules_version
    from cycle_{{ k }}_entered as entered
    left join cycle_{{ k }}_handed_back as handed_back on handed_back.lead_id = entered.lead_id
),

-- where the SQL can fall idle: from the SQL itself, when the next pulse is a long gap away
-- (it falls before the first pulse, in a long gap, after the last pulse, or the lead has
-- none), and from each later pulse that starts a long gap or the open one
cycle_{{ k }}_idle_starts as (
    select qualified.lead_id, qualified.sql_at as idle_from, gaps.gap_to as idle_until
    from cycle_{{ k }}_qualified as qualified
    inner join pulse_gaps as gaps
        on gaps.lead_id = qualified.lead_id
        and (gaps.gap_from is null or gaps.gap_from <= qualified.sql_at)
        and (gaps.gap_to is null or gaps.gap_to > qualified.sql_at)
    where qualified.sql_at is not null

    union all

    select qualified.lead_id, qualified.sql_at, cast(null as {{ dbt.type_timestamp() }})
    from cycle_{{ k }}_qualified as qualified
    where qualified.sql_at is not null
      and not exists (select 1 from pulse_gaps as gaps where gaps.lead_id = qualified.lead_id)

    union all

    select qualified.lead_id, gaps.gap_from, gaps.gap_to
    from cycle_{{ k }}_qualified as qualified
    inner join pulse_gaps as gaps
        on gaps.lead_id = qualified.lead_id and gaps.gap_from > qualified.sql_at
),

cycle_{{ k }}_inactive as (
    select
        idle.lead_id,
        min({{ idle_sql_recycled_at('idle.idle_from') }}) as inactive_at
    from cycle_{{ k }}_idle_starts as idle
    cross join thresholds
    where thresholds.recycle_inactive_sql_days is not null
      and {{ idle_sql_recycled_at('idle.idle_from') }} < coalesce(idle.idle_until, {{ as_of_end() }})
    group by idle.lead_id
),

-- each cycle and its end are read by the next cycle and by the changes below: computed once
-- (left to the planner, a first build at 1M leads took 47 s instead of 40 s)
cycle_{{ k }} as materialized (
    select
        qualified.*,
        case
            when qualified.handed_back_at <= coalesce(inactive.inactive_at, qualified.handed_back_at)
                then qualified.handed_back_at
            else inactive.inactive_at
        end as candidate_recycle_at,
        case
            when qualified.handed_back_at <= coalesce(inactive.inactive_at, qualified.handed_back_at)
                then qualified.handed_back_reason
            else 'inactive_sql'
        end as recycle_reason
    from cycle_{{ k }}_qualified as qualified
    left join cycle_{{ k }}_inactive as inactive on inactive.lead_id = qualified.lead_id
),

cycle_{{ k }}_end as materialized (
    select
        lead_id,
        opportunity_at,
        disqualified_at,
        ends_at,
        case when ends_at is null or candidate_recycle_at < ends_at then candidate_recycle_at end as recycle_at
    from cycle_{{ k }}
),

{% endfor %}

changes as (
    select
        leads.lead_id,
        case when first_traces.first_signal_at < leads.created_at
            then first_traces.first_signal_at else leads.created_at end as changed_at,
        'lead' as to_stage,
        'created' as reason,
        version.rules_version
    from leads
    left join first_traces on first_traces.lead_id = leads.lead_id
    cross join version

    {% for k in range(1, cycles + 1) %}
    union all
    select lead_id, mql_at, 'mql', mql_reason, mql_rules_version
    from cycle_{{ k }} where mql_at is not null

    union all
    select lead_id, sql_at, 'sql', sql_reason, sql_rules_version
    from cycle_{{ k }} where sql_at is not null

    union all
    select cycle.lead_id, recycled.recycle_at, 'recycled', cycle.recycle_reason, version.rules_version
    from cycle_{{ k }} as cycle
    inner join cycle_{{ k }}_end as recycled on recycled.lead_id = cycle.lead_id
    cross join version
    where recycled.recycle_at is not null
    {% endfor %}

    union all
    select signals.lead_id, signals.signal_at, signals.signal, signals.reason, signals.rules_version
    from signals
    inner join terminal on terminal.lead_id = signals.lead_id
    where signals.signal in ('opportunity', 'customer', 'closed_lost')
       -- a disqualified lead stays out of the funnel unless the CRM opens an opportunity
       or (signals.signal = 'disqualified'
           and (terminal.opportunity_at is null or signals.signal_at < terminal.opportunity_at))
),

-- numbered, and each change's neighbours, in one ordering (one sort of the night's changes)
ordered as (
    select
        changes.*,
        row_number() over stage_order as change_number,
        lag(to_stage) over stage_order as from_stage,
        lead(changed_at) over stage_order as valid_until
    from changes
    window stage_order as (
        partition by lead_id
        order by changed_at,
            case to_stage
                when 'lead' then 0 when 'mql' then 1 when 'sql' then 2 when 'recycled' then 3
                when 'opportunity' then 4 when 'customer' then 5 when 'closed_lost' then 6
                else 7
            end
    )
)

select
    ordered.lead_id,
    ordered.change_number,
    ordered.from_stage,
    ordered.to_stage,
    ordered.changed_at,
    ordered.valid_until,
    ordered.reason,
    ordered.rules_version,
    inputs.inputs_digest as _inputs_digest
from ordered
inner join inputs on inputs.lead_id = ordered.lead_id
{% if is_incremental() %}

union all

-- one marker row per rebuilt lead: the strategy drops all its old rows (also of a lead no
-- longer in the CRM, which has no new ones)
select lead_id, null, null, null, null, null, null, null, null
from leads_to_rebuild
{% endif %}

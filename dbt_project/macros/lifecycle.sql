{#- The moments that keep an SQL alive (engagement: any scored event; a completed sales task),
    of the leads with an SQL signal in `signals` (a relation or CTE of int_lifecycle_signals
    rows): only an SQL is recycled, when it has no pulse for lifecycle.yml
    recycle.inactive_sql_days. Rows may repeat (an event scores in several groups). Reduced
    to what can recycle an SQL by int_lifecycle_pulse_gaps. -#}
{% macro lifecycle_pulses(signals) -%}
    with pulse_leads as (
        select distinct lead_id from {{ signals }} where signal = 'sql'
    )

    select scored.lead_id, scored.occurred_at as pulse_at
    from {{ ref('int_activities_scored') }} as scored
    inner join pulse_leads on pulse_leads.lead_id = scored.lead_id
    union all
    select tasks.lead_id, tasks.occurred_at
    from {{ ref('stg_crm__tasks') }} as tasks
    inner join pulse_leads on pulse_leads.lead_id = tasks.lead_id
    where tasks.task_status = 'completed'
{%- endmacro %}

{#- Whether a row of int_lifecycle_signals comes from the CRM (a status, an opportunity, a
    disqualifier) rather than from the scores and events. -#}
{% macro is_crm_signal() -%}
    (signal not in ('mql', 'sql') or reason like 'accepted:%')
{%- endmacro %}

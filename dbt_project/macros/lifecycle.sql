{#- When an SQL without a pulse since `since` is recycled: lifecycle.yml
    recycle.inactive_sql_days later (null when recycling idle SQLs is off). The query must
    have the lifecycle thresholds as `thresholds`. A gap between pulses is long when the next
    pulse comes after this. -#}
{% macro idle_sql_recycled_at(since) -%}
    {{ dbt.dateadd('day', 'thresholds.recycle_inactive_sql_days', since) }}
{%- endmacro %}

{#- Whether a row of int_lifecycle_signals comes from the CRM (a status, an opportunity, a
    disqualifier) rather than from the scores and events. -#}
{% macro is_crm_signal() -%}
    (signal not in ('mql', 'sql') or reason like 'accepted:%')
{%- endmacro %}

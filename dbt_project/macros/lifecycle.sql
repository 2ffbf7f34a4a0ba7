{#- Whether a row of int_lifecycle_signals comes from the CRM (a status, an opportunity, a
    disqualifier) rather than from the scores and events. -#}
{% macro is_crm_signal() -%}
    (signal not in ('mql', 'sql') or reason like 'accepted:%')
{%- endmacro %}

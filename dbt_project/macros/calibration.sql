{#- The leads calibration judges, as a condition on fct_calibration_leads: those whose outcome
    is known (converted, or not converted by the end of the horizon). -#}
{% macro is_judged() -%}
    outcome_status in ('converted', 'not_converted')
{%- endmacro %}

{#- Points as exact decimals, so a lead's contributions add up to its score to the cent. -#}
{% macro points(expression) -%}
    cast(round({{ expression }}, 2) as decimal(18, 2))
{%- endmacro %}

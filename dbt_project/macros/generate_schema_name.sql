{#- Use the configured schema name as is (`marts`, not `main_marts`): BI tools and the
    Python assets read these tables by fixed names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}

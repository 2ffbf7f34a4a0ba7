{#- Incremental strategy `replace_leads`: the new rows replace all rows of each lead they name
    (the model's unique_key, lead_id). Delete every target row of a lead found in the new
    rows, then insert the new rows that carry an event (activity_id not null). A row without
    an event only names a lead to clear: how a model says "this lead has no rows any more",
    which delete+insert cannot (it deletes only the keys of rows it inserts). -#}
{% macro get_incremental_replace_leads_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set new_rows = arg_dict['temp_relation'] -%}
    {%- set lead_key = arg_dict['unique_key'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where {{ lead_key }} in (select {{ lead_key }} from {{ new_rows }});

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ new_rows }}
    where activity_id is not null
{%- endmacro %}

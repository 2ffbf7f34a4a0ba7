{#- Incremental strategy `replace_leads_from`: the new rows replace each named lead's rows from
    an instant on. A row without an event (activity_id null) names a lead (the model's
    unique_key, lead_id) and, in occurred_at, the instant from which its rows are replaced:
    every target row of that lead at or after it is deleted, then the new rows that carry an
    event are inserted (each at or after its lead's instant). A lead's rows before the
    instant stay as they are, and a lead left with no rows after it loses its old ones, which
    delete+insert cannot do (it deletes only the keys of rows it inserts). -#}
{% macro get_incremental_replace_leads_from_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set new_rows = arg_dict['temp_relation'] -%}
    {%- set lead_key = arg_dict['unique_key'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    using (
        select {{ lead_key }} as lead_key, occurred_at as replace_from
        from {{ new_rows }}
        where activity_id is null
    ) as replaced
    where {{ target }}.{{ lead_key }} = replaced.lead_key
      and {{ target }}.occurred_at >= replaced.replace_from;

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ new_rows }}
    where activity_id is not null
{%- endmacro %}

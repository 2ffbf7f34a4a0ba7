{#- Incremental strategy `replace_leads_from`: the new rows replace each named lead's rows from
    an instant on. A marker row (its `marker_column` null) names a lead (the model's
    unique_key, lead_id) and, in `replace_from_column`, the instant from which its rows are
    replaced (null: all of them): every target row of that lead at or after it is deleted,
    then the new rows that are not markers are inserted (each at or after its lead's instant).
    A lead's rows before the instant stay as they are, and a lead left with no rows after it
    loses its old ones, which delete+insert cannot do (it deletes only the keys of rows it
    inserts).

    Model config: marker_column (default activity_id), replace_from_column (default
    occurred_at).
    The earliest instant replaced is read first and added as a constant: DuckDB then skips
    the row groups of earlier rows instead of matching every row of the table to the leads
    (a night's delete from 75M scored events at 1M leads: 9 s -> 0.2 s when tonight's leads
    are replaced from tonight on). -#}
{% macro get_incremental_replace_leads_from_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set new_rows = arg_dict['temp_relation'] -%}
    {%- set lead_key = arg_dict['unique_key'] -%}
    {%- set marker = adapter.quote(config.get('marker_column', 'activity_id')) -%}
    {%- set replace_from = adapter.quote(config.get('replace_from_column', 'occurred_at')) -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set earliest = run_query(
        "select min(" ~ replace_from ~ "), bool_or(" ~ replace_from ~ " is null) from "
        ~ new_rows ~ " where " ~ marker ~ " is null"
    ).rows[0] -%}
    delete from {{ target }}
    using (
        select {{ lead_key }} as lead_key, {{ replace_from }} as replace_from
        from {{ new_rows }}
        where {{ marker }} is null
    ) as replaced
    where {{ target }}.{{ lead_key }} = replaced.lead_key
      and (replaced.replace_from is null or {{ target }}.{{ replace_from }} >= replaced.replace_from)
      {%- if earliest[0] is not none and not earliest[1] %}
      and {{ target }}.{{ replace_from }} >= {{ timestamp_literal(earliest[0]) }}
      {%- endif %};

    {#- in the order of the instants: rows that arrive together by the million (every lead,
        after a change of rules) keep each row group to a few days, as the full build does #}
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ new_rows }}
    where {{ marker }} is not null
    order by {{ replace_from }}
{%- endmacro %}

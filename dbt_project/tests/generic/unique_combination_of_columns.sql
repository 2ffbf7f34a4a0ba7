{#- Fails for every combination of `columns` that appears more than once.
    stamped_by: a column an incremental model stamps the rows it writes with, one value per run.
    Only the combinations among the latest run's rows are then checked, against every row: a
    duplicate can only come from rows a run writes, and the rows of earlier runs were checked
    by those runs. A full build stamps every row alike, so all of them are checked. At 1M
    leads this is 75M rows grouped every night, or the night's few hundred thousand. -#}
{% test unique_combination_of_columns(model, columns, stamped_by=none) %}
select {{ columns | join(', ') }}, count(*) as occurrences
{%- if stamped_by %}
from {{ model }} as checked
where exists (
    select 1
    from {{ model }} as latest
    where latest.{{ stamped_by }} = (select max({{ stamped_by }}) from {{ model }})
    {%- for column in columns %}
      and latest.{{ column }} = checked.{{ column }}
    {%- endfor %}
)
{%- else %}
from {{ model }}
{%- endif %}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

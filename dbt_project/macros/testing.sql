{#- The combinations of `columns` that appear more than once in `model`, with how often;
    none unless `only_if` (a SQL condition) holds. -#}
{% macro repeated_combinations(model, columns, only_if='true') -%}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
where {{ row_hash(columns) }} in (
    select {{ row_hash(columns) }} from {{ model }}
    where {{ only_if }}
    group by 1
    having count(*) > 1
)
group by {{ columns | join(', ') }}
having count(*) > 1
{%- endmacro %}

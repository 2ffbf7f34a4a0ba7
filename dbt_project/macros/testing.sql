{#- The combinations of `columns` that appear more than once in `model`, with how often. -#}
{% macro repeated_combinations(model, columns) -%}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
where {{ row_hash(columns) }} in (
    select {{ row_hash(columns) }} from {{ model }}
    group by 1
    having count(*) > 1
)
group by {{ columns | join(', ') }}
having count(*) > 1
{%- endmacro %}

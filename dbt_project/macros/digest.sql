{#- Digests that tell whether a lead's inputs changed since the last run, so incremental
    models rebuild only the leads whose inputs did. `multiset_digest` is an aggregate that does
    not depend on row order (a sum of row hashes and the row count); `digest` hashes values of
    one row. DuckDB's hash is fast and stable across runs; other adapters use md5. -#}
{% macro multiset_digest(expressions) -%}
    {{ return(adapter.dispatch('multiset_digest')(expressions)) }}
{%- endmacro %}

{% macro duckdb__multiset_digest(expressions) -%}
    cast(sum(hash({{ expressions | join(', ') }})) as varchar) || ':' || cast(count(*) as varchar)
{%- endmacro %}

{% macro default__multiset_digest(expressions) -%}
    {%- set row_text = "concat_ws('|', " ~ (expressions | join(', ')) ~ ")" -%}
    md5({{ dbt.listagg(row_text, "','", "order by " ~ row_text) }})
{%- endmacro %}

{% macro digest(expressions) -%}
    {{ return(adapter.dispatch('digest')(expressions)) }}
{%- endmacro %}

{% macro duckdb__digest(expressions) -%}
    cast({{ row_hash(expressions) }} as varchar)
{%- endmacro %}

{% macro default__digest(expressions) -%}
    {%- set texts = [] -%}
    {%- for expression in expressions -%}
        {%- do texts.append("coalesce(cast(" ~ expression ~ " as " ~ dbt.type_string() ~ "), '')") -%}
    {%- endfor -%}
    md5(concat_ws('|', {{ texts | join(', ') }}))
{%- endmacro %}

{#- A hash of values of one row, for grouping: rows that differ may share one (rarely), so it
    only narrows down what is then compared exactly. -#}
{% macro row_hash(expressions) -%}
    {{ return(adapter.dispatch('row_hash')(expressions)) }}
{%- endmacro %}

{% macro duckdb__row_hash(expressions) -%}
    hash({{ expressions | join(', ') }})
{%- endmacro %}

{% macro default__row_hash(expressions) -%}
    {{ digest(expressions) }}
{%- endmacro %}

{#- A model that rebuilds only some leads each night keeps, next to its rows, a record of the
    build they stand for (`<model>__build`, one row): the scoring day, the rules version, the
    first day of score history, how far the matched events went, and the run (its stamp). The
    next night starts from those rows only when the record says they are last night's, built
    with the same rules on the same history; otherwise it rebuilds every lead. -#}
{% macro build_record_relation() -%}
    {{- return(this.incorporate(path={'identifier': this.identifier ~ '__build'})) -}}
{%- endmacro %}

{#- Post-hook: the record of this build, in the same transaction as its rows. -#}
{% macro remember_build() -%}
    create or replace table {{ build_record_relation() }} as
    select
        {{ as_of_date() }} as as_of,
        (select rules_version from {{ source('rules', 'rules_version') }}) as rules_version,
        (select min(score_date) from {{ ref('fct_lead_scores_daily') }}) as history_from,
        (select max(_matched_at) from {{ ref('int_activities_matched_to_leads') }}) as matched_until,
        {{ run_stamp() }} as built_at
{%- endmacro %}

{#- The record of the last build when tonight can start from its rows (an incremental run, not
    --full-refresh, the night after it, same rules, same first day of history), else none. -#}
{% macro previous_night_build() -%}
    {%- if not execute or not is_incremental() -%}{{ return(none) }}{%- endif -%}
    {%- set record = build_record_relation() -%}
    {%- if adapter.get_relation(database=record.database, schema=record.schema, identifier=record.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set built = run_query(
        "select as_of, matched_until, built_at, "
        ~ "rules_version = (select rules_version from " ~ source('rules', 'rules_version') ~ "), "
        ~ "history_from = (select min(score_date) from " ~ ref('fct_lead_scores_daily') ~ ") "
        ~ "from " ~ record
    ).rows -%}
    {%- set day_before = modules.datetime.date.fromisoformat(as_of_date_string()) - modules.datetime.timedelta(days=1) -%}
    {%- if built | length != 1 or built[0][0] != day_before or built[0][1] is none or not built[0][3] or not built[0][4] -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return({'matched_until': built[0][1], 'built_at': built[0][2]}) }}
{%- endmacro %}

{#- Whether this run is incremental on rows that already carry `column` (a table built before
    the column existed is rebuilt once, and gains it). -#}
{% macro incremental_with_column(column) -%}
    {{ return(execute and is_incremental()
        and column in (adapter.get_columns_in_relation(this) | map(attribute='name') | list)) }}
{%- endmacro %}

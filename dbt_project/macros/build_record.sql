{#- A model that rebuilds only some leads each night (or only adds rows) keeps, next to its
    rows, a record of the build they stand for (`<model>__build`, one row): the scoring day,
    the rules version, the first day of score history, how far the matched events went, and
    the run (its stamp). The next night starts from those rows only when the record says they
    were built with the same rules (and, for lead rows, that they are last night's, on the
    same history); otherwise it rebuilds everything. -#}
{% macro build_record_relation() -%}
    {{- return(kept_beside('build')) -}}
{%- endmacro %}

{#- Post-hook: the record of this build, in the same transaction as its rows. A model upstream
    of the score history (with_history=false) records no first day of history. -#}
{% macro remember_build(with_history=true) -%}
    create or replace table {{ build_record_relation() }} as
    select
        {{ as_of_date() }} as as_of,
        (select rules_version from {{ source('rules', 'rules_version') }}) as rules_version,
        {% if with_history -%}
        (select min(score_date) from {{ ref('fct_lead_scores_daily') }})
        {%- else -%}
        cast(null as date)
        {%- endif %} as history_from,
        (select max(_matched_at) from {{ ref('int_activities_matched_to_leads') }}) as matched_until,
        {{ run_stamp() }} as built_at
{%- endmacro %}

{#- Whether this run may build on the rows the model already has: an incremental run, or, for
    a table that reads its own previous build (int_engagement_contributions), a table that
    exists, without --full-refresh. A unit test has no rows of its own (`this` is none). -#}
{% macro builds_on_previous_rows() -%}
    {%- if this is none -%}{{ return(false) }}{%- endif -%}
    {%- if config.get('materialized') == 'table' -%}
        {{ return(existing_relation(this) is not none and not should_full_refresh()) }}
    {%- endif -%}
    {{ return(is_incremental()) }}
{%- endmacro %}

{#- The record of the last build when this run (not --full-refresh) can start from its rows
    because they were built with the same rules for this scoring day or an earlier one, else
    none: {'as_of', 'history_from', 'matched_until', 'built_at'}. (Re-running an earlier
    night drops the events after it, which a later build's rows may reflect.) -#}
{% macro previous_build() -%}
    {%- if not execute or not builds_on_previous_rows() -%}{{ return(none) }}{%- endif -%}
    {%- set record = build_record_relation() -%}
    {%- if existing_relation(record) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set built = run_query(
        "select as_of, history_from, matched_until, built_at, "
        ~ "rules_version = (select rules_version from " ~ source('rules', 'rules_version') ~ "), "
        ~ "as_of <= " ~ as_of_date() ~ " "
        ~ "from " ~ record
    ).rows -%}
    {%- if built | length != 1 or built[0][2] is none or not built[0][4] or not built[0][5] -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return({'as_of': built[0][0], 'history_from': built[0][1], 'matched_until': built[0][2], 'built_at': built[0][3]}) }}
{%- endmacro %}

{#- The record of the last build when tonight can start from its rows (previous_build(), and
    the night after it; with_history: with the same first day of score history, for a record
    remembered with it), else none. -#}
{% macro previous_night_build(with_history=true) -%}
    {%- set built = previous_build() -%}
    {%- if built is none -%}{{ return(none) }}{%- endif -%}
    {%- set day_before = modules.datetime.date.fromisoformat(as_of_date_string()) - modules.datetime.timedelta(days=1) -%}
    {%- if built.as_of != day_before -%}{{ return(none) }}{%- endif -%}
    {%- if with_history -%}
        {%- set history_from = run_query("select min(score_date) from " ~ ref('fct_lead_scores_daily')).rows[0][0] -%}
        {%- if built.history_from != history_from -%}{{ return(none) }}{%- endif -%}
    {%- endif -%}
    {{ return(built) }}
{%- endmacro %}

{#- Pre-hook of a model that only ever adds rows: when this run cannot start from them (no
    usable record of the last build) they are dropped first, and the run lists everything
    again. -#}
{% macro forget_rows_without_previous_build() -%}
    {%- if is_incremental() and previous_build() is none -%}
    delete from {{ this }}
    {%- endif -%}
{%- endmacro %}

{#- Whether this run is incremental on rows that already carry `column` (a table built before
    the column existed is rebuilt once, and gains it). -#}
{% macro incremental_with_column(column) -%}
    {{ return(execute and is_incremental()
        and column in (adapter.get_columns_in_relation(this) | map(attribute='name') | list)) }}
{%- endmacro %}

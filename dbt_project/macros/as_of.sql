{#- The scoring day, YYYY-MM-DD: the dbt var `as_of`, else the environment variable
    LEAD_SCORING_AS_OF (how the pipeline passes it), else yesterday in UTC. Everything is judged
    as of the END of that day, so a re-run or backfill of a night sees exactly what it saw then.
    The value is checked to be a date before it reaches SQL.
    While dbt parses the project (`execute` is false) no SQL runs and the day is not read: a
    parse that depended on the day (a var changed on the command line, an env_var read) would
    be thrown away every night, and parsing the whole project again costs seconds per run. -#}
{% macro as_of_date_string() -%}
    {%- if not execute -%}{{ return('1970-01-01') }}{%- endif -%}
    {%- set raw = var('as_of', '') | string | trim -%}
    {%- if raw == '' or raw == 'None' -%}
        {%- set raw = env_var('LEAD_SCORING_AS_OF', '') | string | trim -%}
    {%- endif -%}
    {%- if raw == '' -%}
        {%- set raw = (modules.datetime.datetime.utcnow().date() - modules.datetime.timedelta(days=1)).isoformat() -%}
    {%- endif -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', raw) -%}
        {{ exceptions.raise_compiler_error("the scoring day (var as_of or LEAD_SCORING_AS_OF) must be a date like 2026-11-20, got '" ~ raw ~ "'") }}
    {%- endif -%}
    {%- do modules.datetime.date.fromisoformat(raw) -%}
    {{- raw -}}
{%- endmacro %}

{% macro as_of_date() -%}
    cast('{{ as_of_date_string() }}' as date)
{%- endmacro %}

{#- First instant after the scoring day: events strictly before it count. -#}
{% macro as_of_end() -%}
    cast({{ dbt.dateadd('day', 1, as_of_date()) }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- First day of daily score history on a first build. -#}
{% macro history_start_date() -%}
    {%- set days = var('history_days') | int -%}
    {%- if days < 1 -%}{{ exceptions.raise_compiler_error("var history_days must be at least 1") }}{%- endif -%}
    cast({{ dbt.dateadd('day', 1 - days, as_of_date()) }} as date)
{%- endmacro %}

{#- Pre-hook of the incremental event tables: re-running an earlier night first drops the
    events after that night; the next night takes them in again. -#}
{% macro drop_events_after_scoring_day() -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where occurred_at >= {{ as_of_end() }}
    {%- endif -%}
{%- endmacro %}

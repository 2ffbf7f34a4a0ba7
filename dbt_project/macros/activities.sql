{#- An event's columns from a row of raw.marketing_activities: ids and text trimmed, e-mail,
    type and detail lower-cased, the day it happened, and when the copy was loaded (the event
    tables take in only what arrived since their last run). Shared by the staging view and
    the nightly intake of int_activities_matched_to_leads, which reads only the new raw rows. -#}
{% macro canonical_activity_columns() -%}
    activity_id,
    nullif(trim(lead_id), '') as crm_lead_id,
    nullif(lower(trim(email)), '') as email,
    lower(trim(activity_type)) as activity_type,
    nullif(trim(url), '') as url,
    nullif(trim(form_name), '') as form_name,
    nullif(trim(campaign), '') as campaign,
    nullif(trim(asset), '') as asset,
    nullif(lower(trim(detail)), '') as detail,
    occurred_at,
    cast(occurred_at as date) as activity_date,
    _loaded_at
{%- endmacro %}

{#- An event's kind, as int_activity_kinds lists kinds: its type and detail, and the attributes
    rule patterns look at (url, form name, campaign, asset), lowered. `events`: the alias of
    a relation with the event columns. -#}
{% macro activity_kind_columns(events) -%}
    {{ events }}.activity_type,
    {{ events }}.detail,
    lower({{ events }}.url) as url,
    lower({{ events }}.form_name) as form_name,
    lower({{ events }}.campaign) as campaign,
    lower({{ events }}.asset) as asset
{%- endmacro %}

{#- Join condition: a row of int_activity_kinds (alias `kinds`) is the kind of an event (alias
    `events`, its kind columns as activity_kind_columns gives them). -#}
{% macro is_kind_of(kinds, events) -%}
    {{ kinds }}.activity_type = {{ events }}.activity_type
    {%- for column in ['detail', 'url', 'form_name', 'campaign', 'asset'] %}
    and {{ kinds }}.{{ column }} is not distinct from {{ events }}.{{ column }}
    {%- endfor %}
{%- endmacro %}

{#- The stamp of this run (dbt's run_started_at) on the rows an incremental event table
    writes: how the next run, and the tests, tell this run's rows from earlier ones. -#}
{% macro run_stamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- What the last run of the event table `this` took in, as of this night: the latest load
    time and event time among its events before the end of the scoring day (the pre-hook drops
    the later ones when an earlier night is re-run). Read when the model is compiled, so the
    nightly intake filters on constants. -#}
{% macro events_taken_in() -%}
    {%- set result = run_query(
        "select max(_loaded_at), max(occurred_at) from " ~ this ~ " where occurred_at < " ~ as_of_end()
    ) -%}
    {{- return({'loaded_at': result.rows[0][0], 'occurred_at': result.rows[0][1]}) -}}
{%- endmacro %}

{#- The first instant of the day of a timestamp. -#}
{% macro day_start(timestamp) -%}
    cast(cast({{ timestamp }} as date) as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- A timestamp read with run_query, as a SQL constant. -#}
{% macro timestamp_literal(value) -%}
    cast('{{ value.isoformat(sep=" ") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- The leads touched by the events int_activities_matched_to_leads matched after `since` (a
    SQL expression; null: every event), with when each event happened: the lead an event has
    now and the one it left (previous_lead_id). What a change of matching makes the scoring
    (int_activities_scored) and the carried engagement sums (int_engagement_contributions)
    compute again. -#}
{% macro leads_touched_since(since) -%}
    select lead_id, occurred_at
    from (
        select unnest([lead_id, previous_lead_id]) as lead_id, occurred_at
        from {{ ref('int_activities_matched_to_leads') }}
        where _matched_at > {{ since }} or {{ since }} is null
    ) as touched
    where lead_id is not null
{%- endmacro %}

{#- Where int_activities_matched_to_leads keeps the CRM-id and e-mail mapping (int_lead_resolution)
    its last run matched with: the next run re-matches only the events whose keys map
    differently now. -#}
{% macro lead_resolution_used_relation() -%}
    {{- return(kept_beside('resolution')) -}}
{%- endmacro %}

{#- Post-hook: remember the mapping this run matched with, in the same transaction as its rows. -#}
{% macro remember_lead_resolution() -%}
    create or replace table {{ lead_resolution_used_relation() }} as
    select * from {{ ref('int_lead_resolution') }}
{%- endmacro %}

{#- The lookup keys the events of `this` (int_activities_matched_to_leads) carry: each CRM id
    and e-mail at least one event has, as int_lead_resolution keys them, in <this>__event_keys.
    A post-hook adds the keys of the events each run matched; a key whose events were dropped
    since (a re-run of an earlier night) stays, which only costs a needless look. -#}
{% macro event_keys_relation() -%}
    {{- return(kept_beside('event_keys')) -}}
{%- endmacro %}

{% macro remember_event_keys() -%}
    {#- none on the first build, or in a warehouse built before the keys were kept: every
        event's keys are listed then -#}
    {%- set kept = existing_relation(event_keys_relation()) -%}
    {%- set events_sql -%}
        select 'crm_id' as key_kind, crm_lead_id as lookup_key from events where crm_lead_id is not null
        union
        select 'email', email from events where email is not null
    {%- endset -%}
    {%- if kept is none %}
    create table {{ event_keys_relation() }} as
    with events as not materialized (select crm_lead_id, email from {{ this }})
    {{ events_sql }}
    {%- else %}
    insert into {{ kept }}
    with events as not materialized (
        select crm_lead_id, email from {{ this }} where _matched_at = {{ run_stamp() }}
    )
    select * from ({{ events_sql }}) as keys
    where not exists (
        select 1 from {{ kept }} as kept
        where kept.key_kind = keys.key_kind and kept.lookup_key = keys.lookup_key
    )
    {%- endif %}
{%- endmacro %}

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

{#- The stamp of this run (dbt's run_started_at) on the rows an incremental event table
    writes: how the next run, and the tests, tell this run's rows from earlier ones. -#}
{% macro run_stamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

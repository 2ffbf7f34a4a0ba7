-- Every marketing event with the CRM lead it belongs to: by the CRM id it carries (a lead or
-- contact id, resolved to the person it was merged into), else by its normalised e-mail.
-- Events that match no lead are kept (lead_id null) for when the visitor is identified later.
-- A table: scoring, the lifecycle signals and calibration all read it.
--
-- Incremental, because a night brings a day of events and a full year is already matched:
--   * events loaded since the last run (or dated after the events it took in) are added;
--   * events whose lead is no longer the one the CRM says now (a new lead with their e-mail, a
--     merge, a changed e-mail) are matched again and keep the lead they had in previous_lead_id,
--     so int_activities_scored can rescore both leads. Only the events carrying a CRM id or an
--     e-mail whose lead changed since the last run are looked at: the post-hook keeps the
--     mapping each run used (int_lead_resolution, copied to <this>__resolution), and the
--     keys the events carry (<this>__event_keys), so a night none of whose changed keys an
--     event carries skips the look;
--   * re-running an earlier night first drops the events after that night (pre-hook); the
--     next night takes them in again.
-- Every added or re-matched row is stamped with the run (_matched_at), which is how
-- int_activities_scored finds what changed. --full-refresh rebuilds it from the raw events.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='activity_id',
        on_schema_change='fail',
        pre_hook="{{ drop_events_after_scoring_day() }}",
        post_hook=["{{ remember_lead_resolution() }}", "{{ remember_event_keys() }}"],
    )
}}
with resolution as (
    select * from {{ ref('int_lead_resolution') }}
),

identities as (
    select lookup_key as crm_id, lead_id from resolution where key_kind = 'crm_id'
),

leads_by_email as (
    select lookup_key as email, lead_id from resolution where key_kind = 'email'
),

{% if is_incremental() %}
{%- set taken_in = events_taken_in() %}
-- New raw rows: loaded after the last run took its events in, or dated after the latest of
-- them (an event loaded early but dated past the night it was loaded on). The bounds are
-- constants, so DuckDB skips the old row groups of the raw table (appended in load order)
-- without reading them. Among copies of one event the first loaded wins, and a copy of an
-- event already matched is a duplicate.
new_events as (
    select {{ canonical_activity_columns() }}
    from {{ source('raw', 'marketing_activities') }}
    where occurred_at < {{ as_of_end() }}
    {%- if taken_in.loaded_at is not none %}
      and (
          _loaded_at > {{ timestamp_literal(taken_in.loaded_at) }}
          or occurred_at > {{ timestamp_literal(taken_in.occurred_at) }}
      )
    {%- endif %}
    qualify row_number() over (
        partition by activity_id order by _loaded_at, _source_file, _source_row
    ) = 1
),

{#- none in a warehouse built before the mapping was kept -#}
{%- set resolution_used = existing_relation(lead_resolution_used_relation()) %}
{%- if resolution_used is not none %}

-- the CRM ids and e-mails whose lead differs from the one the last run matched with
{%- set changed_keys_sql %}
    select
        coalesce(now.key_kind, used.key_kind) as key_kind,
        coalesce(now.lookup_key, used.lookup_key) as lookup_key
    from {{ ref('int_lead_resolution') }} as now
    full join {{ resolution_used }} as used
        on used.key_kind = now.key_kind and used.lookup_key = now.lookup_key
    where now.lead_id is distinct from used.lead_id
{%- endset %}
changed_keys as (
    {{ changed_keys_sql }}
),

{#- Whether any event carries a changed key: asked, when the model compiles, of the keys the
    events carry (kept beside them, macros/activities.sql). On most nights none does (a new
    lead's own events arrive with it), and the events are then not looked through at all. -#}
{%- set keys_kept = existing_relation(event_keys_relation()) %}
{%- set any_to_rematch = true %}
{%- if keys_kept is not none and execute %}
{%- set any_to_rematch = run_query(
    "select count(*) > 0 from (" ~ changed_keys_sql ~ ") as changed inner join " ~ keys_kept
    ~ " as kept on kept.key_kind = changed.key_kind and kept.lookup_key = changed.lookup_key"
).rows[0][0] %}
{%- endif %}
-- only their events can have another lead now: found by the two key columns alone, then
-- read whole (reading every column of 50M events to keep a few cost seconds)
rematch_candidates as (
    select *
    from {{ this }}
    where {% if not any_to_rematch %}false and {% endif %}rowid in (
        select rowid
        from {{ this }}
        where crm_lead_id in (select lookup_key from changed_keys where key_kind = 'crm_id')
           or email in (select lookup_key from changed_keys where key_kind = 'email')
    )
),
{%- else %}

-- no record of the mapping the last run used (a warehouse built before it was kept): every
-- event is compared
rematch_candidates as (
    select * from {{ this }}
),
{%- endif %}

events_to_match as (
    select new_events.*, cast(null as varchar) as previous_lead_id
    from new_events
    where not exists (
        select 1
        from {{ this }} as matched
        where matched.activity_id = new_events.activity_id
          -- always true of a match; the bounds let DuckDB skip the row groups of other ids
          -- (ids that grow with time: 50M read for nothing at 1M leads, 1.5 s of CPU)
          and matched.activity_id between (select min(activity_id) from new_events)
                                      and (select max(activity_id) from new_events)
    )

    union all

    -- events the CRM now gives to another lead (or to a lead at last, or to none)
    select
        matched.activity_id,
        matched.crm_lead_id,
        matched.email,
        matched.activity_type,
        matched.url,
        matched.form_name,
        matched.campaign,
        matched.asset,
        matched.detail,
        matched.occurred_at,
        matched.activity_date,
        matched._loaded_at,
        matched.lead_id as previous_lead_id
    from rematch_candidates as matched
    left join identities as by_id on by_id.crm_id = matched.crm_lead_id
    left join leads_by_email as by_email on by_email.email = matched.email
    where coalesce(by_id.lead_id, by_email.lead_id) is distinct from matched.lead_id
),
{% else %}
events_to_match as (
    select *, cast(null as varchar) as previous_lead_id from {{ ref('stg_marketing__activities') }}
),
{% endif %}

matched as (
    select
        events.activity_id,
        coalesce(by_id.lead_id, by_email.lead_id) as lead_id,
        case
            when by_id.lead_id is not null then 'crm_id'
            when by_email.lead_id is not null then 'email'
        end as matched_by,
        events.crm_lead_id,
        events.email,
        events.activity_type,
        events.url,
        events.form_name,
        events.campaign,
        events.asset,
        events.detail,
        events.occurred_at,
        events.activity_date,
        events.previous_lead_id,
        events._loaded_at,
        {{ run_stamp() }} as _matched_at
    from events_to_match as events
    left join identities as by_id on by_id.crm_id = events.crm_lead_id
    left join leads_by_email as by_email on by_email.email = events.email
)

select * from matched
{% if not is_incremental() %}
-- A full build writes the events in date order (a night appends its own days after them):
-- the nights read events by day (the frequency windows, the days whose decay steps), and
-- DuckDB skips every row group outside those days only when each holds a few days. The
-- exports need not come in date order, and matching would shuffle them anyway.
order by activity_date
{% endif %}

-- Every marketing event with the CRM lead it belongs to: by the CRM id it carries (a lead or
-- contact id, resolved to the person it was merged into), else by its normalised e-mail.
-- Events that match no lead are kept (lead_id null) for when the visitor is identified later.
-- A table: scoring, the lifecycle signals and calibration all read it.
--
-- Incremental, because a night brings a day of events and a full year is already matched:
--   * events loaded since the last run (or dated after the events it took in) are added;
--   * events whose lead is no longer the one the CRM says now (a new lead with their e-mail, a
--     merge, a changed e-mail) are matched again and keep the lead they had in previous_lead_id,
--     so int_activities_scored can rescore both leads;
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
    )
}}
with leads as (
    select lead_id, email, created_at from {{ ref('stg_crm__leads') }}
),

-- every CRM id ever seen, merged records included, with the person it now belongs to
identities as (
    select identities.lead_id as crm_id, leads.lead_id
    from {{ ref('stg_crm__lead_identities') }} as identities
    join leads on leads.lead_id = identities.person_id
),

-- An e-mail shared by two CRM records goes to the one created first (then the lowest id),
-- so the same person's history is never split between runs.
leads_by_email as (
    select email, lead_id
    from (
        select
            email,
            lead_id,
            row_number() over (partition by email order by created_at, lead_id) as email_rank
        from leads
        where email is not null
    ) as ranked
    where email_rank = 1
),

{% if is_incremental() %}
-- what the last run took in: events loaded after it, or dated after its latest event (an
-- event loaded early but dated past the night it was loaded on), are new
taken_in as (
    select max(_loaded_at) as loaded_at, max(occurred_at) as occurred_at from {{ this }}
),

-- New raw rows, read straight from the raw table (appended in load order, so the loaded-at
-- filter skips the old ones without reading them); among copies of one event, the first
-- loaded wins, and a copy of an event already matched is a duplicate.
new_events as (
    select {{ canonical_activity_columns() }}
    from {{ source('raw', 'marketing_activities') }}
    where occurred_at < {{ as_of_end() }}
      and (
          _loaded_at > (select loaded_at from taken_in)
          or occurred_at > (select occurred_at from taken_in)
      )
    qualify row_number() over (
        partition by activity_id order by _loaded_at, _source_file, _source_row
    ) = 1
),

events_to_match as (
    select new_events.*, cast(null as varchar) as previous_lead_id
    from new_events
    where not exists (
        select 1 from {{ this }} as matched where matched.activity_id = new_events.activity_id
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
    from {{ this }} as matched
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

-- Every marketing event with the CRM lead it belongs to: by the CRM id it carries (a lead or
-- contact id, resolved to the person it was merged into), else by its normalised e-mail.
-- Events that match no lead are kept (lead_id null) for when the visitor is identified later.
-- A table: scoring, the lifecycle signals and calibration all read it.
{{ config(materialized='table') }}
with activities as (
    select * from {{ ref('stg_marketing__activities') }}
),

leads as (
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
)

select
    activities.activity_id,
    coalesce(by_id.lead_id, by_email.lead_id) as lead_id,
    case
        when by_id.lead_id is not null then 'crm_id'
        when by_email.lead_id is not null then 'email'
    end as matched_by,
    activities.crm_lead_id,
    activities.email,
    activities.activity_type,
    activities.url,
    activities.form_name,
    activities.campaign,
    activities.asset,
    activities.detail,
    activities.occurred_at,
    activities.activity_date
from activities
left join identities as by_id on by_id.crm_id = activities.crm_lead_id
left join leads_by_email as by_email on by_email.email = activities.email

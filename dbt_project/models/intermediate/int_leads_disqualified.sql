-- Leads that must never be handed to sales, with the reason code of the first disqualifier
-- (in the order of rules/disqualifiers.yml) that applies.
-- A table: the scores, the score history, the lifecycle and calibration all read it.
{{ config(materialized='table') }}
with leads as (
    select * from {{ ref('int_leads_enriched') }}
),

disqualifiers as (
    select * from {{ source('rules', 'disqualifiers') }}
),

rule_values as (
    select * from {{ source('rules', 'disqualifier_values') }}
),

hits as (
    select leads.lead_id, disqualifiers.reason_code, disqualifiers.rule_order
    from leads
    inner join disqualifiers on disqualifiers.test = 'flag'
    inner join rule_values
        on rule_values.reason_code = disqualifiers.reason_code
        and rule_values.value = 'do_not_contact'
    where leads.is_do_not_contact

    union all

    select leads.lead_id, disqualifiers.reason_code, disqualifiers.rule_order
    from leads
    inner join disqualifiers on disqualifiers.test = 'email_domain_in'
    inner join rule_values
        on rule_values.reason_code = disqualifiers.reason_code
        and rule_values.value = leads.email_domain

    union all

    select leads.lead_id, disqualifiers.reason_code, disqualifiers.rule_order
    from leads
    inner join disqualifiers on disqualifiers.test = 'email_domain_ends_with'
    inner join rule_values
        on rule_values.reason_code = disqualifiers.reason_code
        and {{ dbt.right('leads.email_domain', dbt.length('rule_values.value')) }} = rule_values.value

    union all

    -- a known country outside the territory (an unknown country is not held against a lead)
    select leads.lead_id, disqualifiers.reason_code, disqualifiers.rule_order
    from leads
    inner join disqualifiers on disqualifiers.test = 'country_not_in'
    left join rule_values
        on rule_values.reason_code = disqualifiers.reason_code
        and rule_values.value = lower(leads.country)
    where leads.country is not null and rule_values.value is null
),

ranked as (
    select
        *,
        row_number() over (partition by lead_id order by rule_order) as reason_rank
    from hits
)

select lead_id, reason_code as disqualification_reason
from ranked
where reason_rank = 1

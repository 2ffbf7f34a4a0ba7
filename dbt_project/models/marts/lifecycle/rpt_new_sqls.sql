-- SQLs waiting for sales: leads whose current stage is SQL, with what sales needs to act on
-- them. The outbound asset hands each one over exactly once (see outbound.sql_handoffs).
with lifecycle as (
    select * from {{ ref('fct_lead_lifecycle') }}
    where current_stage = 'sql'
),

leads as (
    select * from {{ ref('stg_crm__leads') }}
),

scores as (
    select * from {{ ref('fct_lead_scores') }}
),

users as (
    select * from {{ ref('stg_crm__users') }}
)

select
    lifecycle.lead_id,
    leads.email,
    leads.first_name,
    leads.last_name,
    leads.title,
    leads.company,
    leads.country,
    lifecycle.owner_id,
    users.user_name as owner_name,
    users.user_email as owner_email,
    lifecycle.sql_at,
    lifecycle.sql_reason,
    lifecycle.mql_at,
    scores.fit_score,
    scores.engagement_score,
    scores.total_score,
    scores.fit_grade,
    scores.engagement_tier,
    scores.rules_version,
    cast(lifecycle.sql_at as date) = {{ as_of_date() }} as is_new_on_as_of_date,
    {{ as_of_date() }} as as_of_date
from lifecycle
inner join leads on leads.lead_id = lifecycle.lead_id
inner join scores on scores.lead_id = lifecycle.lead_id
left join users on users.user_id = lifecycle.owner_id

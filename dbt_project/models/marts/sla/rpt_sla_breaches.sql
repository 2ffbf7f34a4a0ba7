-- Open SLA breaches for sales ops: MQLs nobody accepted or rejected and SQLs nobody followed
-- up within the agreed business hours. The data behind the nightly breach report.
with breaches as (
    select * from {{ ref('fct_sla_status') }}
    where is_open and sla_status in ('breached', 'escalated')
),

leads as (
    select * from {{ ref('stg_crm__leads') }}
),

users as (
    select * from {{ ref('stg_crm__users') }}
)

select
    breaches.owner_id,
    coalesce(users.user_name, '(unassigned)') as owner_name,
    users.user_email as owner_email,
    users.team,
    breaches.lead_id,
    leads.email as lead_email,
    leads.first_name,
    leads.last_name,
    leads.company,
    breaches.current_stage,
    breaches.transition,
    breaches.segment,
    breaches.started_at,
    breaches.due_at,
    breaches.window_business_hours,
    breaches.business_hours_overdue,
    breaches.sla_status as tier,
    breaches.as_of_date
from breaches
inner join leads on leads.lead_id = breaches.lead_id
left join users on users.user_id = breaches.owner_id

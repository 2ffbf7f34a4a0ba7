-- One row per lead: its current stage and since when, its first and latest MQL and SQL with
-- their reasons and counts (re-qualifications after a recycle count again), and what the CRM
-- says happened next. Derived from fct_lifecycle_stage_changes.
with leads as (
    select * from {{ ref('stg_crm__leads') }}
),

-- one pass over the changes: the latest change overall (the current stage) and the latest of
-- each stage by change number, the first MQL and SQL, and the counts
per_lead as (
    select
        lead_id,
        arg_max(to_stage, change_number) as current_stage,
        arg_max(changed_at, change_number) as stage_entered_at,
        arg_max(reason, change_number) as stage_reason,
        min(case when to_stage = 'mql' then changed_at end) as first_mql_at,
        arg_max(changed_at, change_number) filter (where to_stage = 'mql') as mql_at,
        arg_max(reason, change_number) filter (where to_stage = 'mql') as mql_reason,
        count(case when to_stage = 'mql' then 1 end) as mql_count,
        min(case when to_stage = 'sql' then changed_at end) as first_sql_at,
        arg_max(changed_at, change_number) filter (where to_stage = 'sql') as sql_at,
        arg_max(reason, change_number) filter (where to_stage = 'sql') as sql_reason,
        count(case when to_stage = 'sql' then 1 end) as sql_count,
        count(case when to_stage = 'recycled' then 1 end) as recycled_count,
        arg_max(changed_at, change_number) filter (where to_stage = 'recycled') as recycled_at,
        arg_max(reason, change_number) filter (where to_stage = 'recycled') as recycle_reason,
        arg_max(changed_at, change_number) filter (where to_stage = 'opportunity') as opportunity_at,
        arg_max(changed_at, change_number) filter (where to_stage = 'customer') as customer_at,
        arg_max(changed_at, change_number) filter (where to_stage = 'closed_lost') as closed_lost_at
    from {{ ref('fct_lifecycle_stage_changes') }}
    group by lead_id
)

select
    leads.lead_id,
    leads.owner_id,
    leads.lead_source,
    leads.crm_status,
    leads.created_at,
    per_lead.current_stage,
    per_lead.stage_entered_at,
    per_lead.stage_reason,
    {{ dbt.datediff('per_lead.stage_entered_at', as_of_end(), 'day') }} as days_in_stage,
    per_lead.first_mql_at,
    per_lead.mql_at,
    per_lead.mql_reason,
    per_lead.mql_count,
    per_lead.first_sql_at,
    per_lead.sql_at,
    per_lead.sql_reason,
    per_lead.sql_count,
    per_lead.recycled_count,
    per_lead.recycled_at,
    per_lead.recycle_reason,
    per_lead.opportunity_at,
    per_lead.customer_at,
    per_lead.closed_lost_at,
    disqualified.disqualification_reason,
    {{ as_of_date() }} as as_of_date
from leads
inner join per_lead on per_lead.lead_id = leads.lead_id
left join {{ ref('int_leads_disqualified') }} as disqualified on disqualified.lead_id = leads.lead_id

-- One row per lead: its current stage and since when, its first and latest MQL and SQL with
-- their reasons and counts (re-qualifications after a recycle count again), and what the CRM
-- says happened next. Derived from fct_lifecycle_stage_changes.
with leads as (
    select * from {{ ref('stg_crm__leads') }}
),

changes as (
    select * from {{ ref('fct_lifecycle_stage_changes') }}
),

current_stage as (
    select lead_id, to_stage as current_stage, changed_at as stage_entered_at, reason as stage_reason
    from (
        select *, row_number() over (partition by lead_id order by change_number desc) as recency
        from changes
    ) as ranked
    where recency = 1
),

latest_by_stage as (
    select lead_id, to_stage, changed_at, reason
    from (
        select *, row_number() over (partition by lead_id, to_stage order by change_number desc) as recency
        from changes
    ) as ranked
    where recency = 1
),

counts as (
    select
        lead_id,
        min(case when to_stage = 'mql' then changed_at end) as first_mql_at,
        min(case when to_stage = 'sql' then changed_at end) as first_sql_at,
        count(case when to_stage = 'mql' then 1 end) as mql_count,
        count(case when to_stage = 'sql' then 1 end) as sql_count,
        count(case when to_stage = 'recycled' then 1 end) as recycled_count
    from changes
    group by lead_id
)

select
    leads.lead_id,
    leads.owner_id,
    leads.lead_source,
    leads.crm_status,
    leads.created_at,
    current_stage.current_stage,
    current_stage.stage_entered_at,
    current_stage.stage_reason,
    {{ dbt.datediff('current_stage.stage_entered_at', as_of_end(), 'day') }} as days_in_stage,
    counts.first_mql_at,
    mql.changed_at as mql_at,
    mql.reason as mql_reason,
    counts.mql_count,
    counts.first_sql_at,
    sql_stage.changed_at as sql_at,
    sql_stage.reason as sql_reason,
    counts.sql_count,
    counts.recycled_count,
    recycled.changed_at as recycled_at,
    recycled.reason as recycle_reason,
    opportunity.changed_at as opportunity_at,
    customer.changed_at as customer_at,
    closed_lost.changed_at as closed_lost_at,
    disqualified.disqualification_reason,
    {{ as_of_date() }} as as_of_date
from leads
inner join current_stage on current_stage.lead_id = leads.lead_id
inner join counts on counts.lead_id = leads.lead_id
left join latest_by_stage as mql on mql.lead_id = leads.lead_id and mql.to_stage = 'mql'
left join latest_by_stage as sql_stage on sql_stage.lead_id = leads.lead_id and sql_stage.to_stage = 'sql'
left join latest_by_stage as recycled on recycled.lead_id = leads.lead_id and recycled.to_stage = 'recycled'
left join latest_by_stage as opportunity on opportunity.lead_id = leads.lead_id and opportunity.to_stage = 'opportunity'
left join latest_by_stage as customer on customer.lead_id = leads.lead_id and customer.to_stage = 'customer'
left join latest_by_stage as closed_lost on closed_lost.lead_id = leads.lead_id and closed_lost.to_stage = 'closed_lost'
left join {{ ref('int_leads_disqualified') }} as disqualified on disqualified.lead_id = leads.lead_id

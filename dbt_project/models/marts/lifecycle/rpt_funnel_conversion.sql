-- The funnel by cohort (month the lead was created) and lead source: how many leads reached
-- each stage, stage-to-stage conversion and drop-off, and the median days between stages.
-- Heavy drop-off after MQL says the MQL bar or the content is wrong (domain.md).
with leads as (
    select * from {{ ref('fct_lead_lifecycle') }}
),

cohorts as (
    select
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as cohort_month,
        coalesce(lead_source, '(unknown)') as lead_source,
        lead_id,
        created_at,
        first_mql_at,
        first_sql_at,
        opportunity_at,
        customer_at,
        disqualification_reason is not null as is_disqualified
    from leads
),

funnel as (
    select
        cohort_month,
        lead_source,
        count(*) as leads,
        count(case when is_disqualified then 1 end) as disqualified,
        count(first_mql_at) as reached_mql,
        count(first_sql_at) as reached_sql,
        count(opportunity_at) as reached_opportunity,
        count(customer_at) as reached_customer,
        percentile_cont(0.5) within group (
            order by {{ dbt.datediff('created_at', 'first_mql_at', 'day') }}
        ) as median_days_lead_to_mql,
        percentile_cont(0.5) within group (
            order by {{ dbt.datediff('first_mql_at', 'first_sql_at', 'day') }}
        ) as median_days_mql_to_sql,
        percentile_cont(0.5) within group (
            order by {{ dbt.datediff('first_sql_at', 'opportunity_at', 'day') }}
        ) as median_days_sql_to_opportunity,
        percentile_cont(0.5) within group (
            order by {{ dbt.datediff('opportunity_at', 'customer_at', 'day') }}
        ) as median_days_opportunity_to_customer
    from cohorts
    group by cohort_month, lead_source
)

select
    cohort_month,
    lead_source,
    leads,
    disqualified,
    reached_mql,
    reached_sql,
    reached_opportunity,
    reached_customer,
    {% for from_stage, to_stage in [('leads', 'reached_mql'), ('reached_mql', 'reached_sql'), ('reached_sql', 'reached_opportunity'), ('reached_opportunity', 'reached_customer')] %}
    {% set name = from_stage | replace('reached_', '') | replace('leads', 'lead') ~ '_to_' ~ to_stage | replace('reached_', '') %}
    cast(case when {{ from_stage }} > 0 then round({{ to_stage }} * 1.0 / {{ from_stage }}, 4) end as decimal(10, 4)) as {{ name }}_rate,
    cast(case when {{ from_stage }} > 0 then round(1 - {{ to_stage }} * 1.0 / {{ from_stage }}, 4) end as decimal(10, 4)) as {{ name }}_drop_off,
    {% endfor %}
    median_days_lead_to_mql,
    median_days_mql_to_sql,
    median_days_sql_to_opportunity,
    median_days_opportunity_to_customer,
    {{ as_of_date() }} as as_of_date
from funnel

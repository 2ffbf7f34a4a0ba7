-- One row per lead: its scores as of the end of the scoring day, and why it is (not) qualified.
with today as (
    select * from {{ ref('fct_lead_scores_daily') }}
    where score_date = {{ as_of_date() }}
),

leads as (
    select * from {{ ref('int_leads_enriched') }}
)

select
    today.lead_id,
    leads.email,
    leads.account_id,
    leads.owner_id,
    today.fit_score,
    today.engagement_score,
    today.total_score,
    today.fit_grade,
    today.engagement_tier,
    today.disqualification_reason,
    today.disqualification_reason is not null as is_disqualified,
    today.rules_version,
    today.score_date as scored_as_of_date,
    {{ as_of_end() }} as scored_as_of_at
from today
inner join leads on leads.lead_id = today.lead_id

-- One row per account: how engaged its people are (sum, best lead and top-N leads), how much of
-- the buying committee is engaged (target personas among engaged leads) and how well the
-- company itself fits (fit rules on the account's industry, size, revenue and country).
with accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

settings as (
    select * from {{ source('rules', 'account_settings') }}
),

personas as (
    select * from {{ source('rules', 'personas') }}
),

lead_personas as (
    select fit.entity_id as lead_id, fit.rule_id as persona
    from {{ ref('int_fit_contributions') }} as fit
    inner join personas on personas.persona = fit.rule_id
    where fit.entity_kind = 'lead' and fit.field = 'title'
),

members as (
    select
        scores.account_id,
        scores.lead_id,
        scores.engagement_score,
        scores.engagement_score >= settings.engaged_min_score as is_engaged,
        lead_personas.persona,
        row_number() over (
            partition by scores.account_id
            order by scores.engagement_score desc, scores.lead_id
        ) as engagement_rank,
        settings.top_n
    from {{ ref('fct_lead_scores') }} as scores
    cross join settings
    left join lead_personas on lead_personas.lead_id = scores.lead_id
    where scores.account_id is not null
),

engagement as (
    select
        account_id,
        count(*) as leads,
        count(case when is_engaged then 1 end) as engaged_leads,
        sum(engagement_score) as engagement_sum,
        max(engagement_score) as engagement_max,
        sum(case when engagement_rank <= top_n then engagement_score else 0 end) as engagement_top_n,
        count(distinct case when is_engaged then persona end) as personas_engaged
    from members
    group by account_id
),

account_fit as (
    select entity_id as account_id, sum(fit_points) as account_fit_score
    from {{ ref('int_fit_contributions') }}
    where entity_kind = 'account'
    group by entity_id
),

persona_count as (
    select cast(count(*) as bigint) as personas_total from personas
)

select
    accounts.account_id,
    accounts.account_name,
    accounts.account_domain,
    accounts.owner_id,
    cast(coalesce(account_fit.account_fit_score, 0) as decimal(18, 2)) as account_fit_score,
    cast(coalesce(engagement.leads, 0) as bigint) as leads,
    cast(coalesce(engagement.engaged_leads, 0) as bigint) as engaged_leads,
    cast(coalesce(engagement.engagement_sum, 0) as decimal(18, 2)) as engagement_sum,
    cast(coalesce(engagement.engagement_max, 0) as decimal(18, 2)) as engagement_max,
    cast(coalesce(engagement.engagement_top_n, 0) as decimal(18, 2)) as engagement_top_n,
    cast(coalesce(engagement.personas_engaged, 0) as bigint) as personas_engaged,
    persona_count.personas_total,
    case when persona_count.personas_total > 0
        then cast(round(coalesce(engagement.personas_engaged, 0) * 1.0 / persona_count.personas_total, 4) as decimal(10, 4))
    end as persona_coverage,
    version.rules_version,
    {{ as_of_date() }} as scored_as_of_date
from accounts
cross join persona_count
cross join {{ source('rules', 'rules_version') }} as version
left join account_fit on account_fit.account_id = accounts.account_id
left join engagement on engagement.account_id = accounts.account_id

-- Each identified event with the engagement rule that scores it: the first rule, in the order
-- of rules/scoring.yml, whose activity type, detail and patterns all match. Events no rule
-- matches earn nothing and are not listed.
with activities as (
    select * from {{ ref('int_activities_matched_to_leads') }}
    where lead_id is not null
),

rules as (
    select * from {{ source('rules', 'engagement_rules') }}
),

patterns as (
    select * from {{ source('rules', 'rule_patterns') }}
),

candidates as (
    select
        activities.activity_id,
        activities.lead_id,
        activities.activity_type,
        activities.url,
        activities.form_name,
        activities.campaign,
        activities.asset,
        activities.occurred_at,
        activities.activity_date,
        rules.rule_id,
        rules.rule_order,
        rules.points,
        rules.max_points,
        rules.half_life_days,
        rules.constrained_attributes
    from activities
    inner join rules
        on rules.activity_type = activities.activity_type
        and (rules.detail is null or rules.detail = activities.detail)
),

-- How many of a rule's constrained attributes (url, form_name, campaign, asset) the event
-- satisfies: any one pattern per attribute is enough.
attribute_hits as (
    select
        candidates.activity_id,
        candidates.rule_id,
        count(distinct patterns.attribute) as attributes_matched
    from candidates
    inner join patterns
        on patterns.rule_id = candidates.rule_id
        and lower(case patterns.attribute
            when 'url' then candidates.url
            when 'form_name' then candidates.form_name
            when 'campaign' then candidates.campaign
            when 'asset' then candidates.asset
        end) like patterns.like_pattern escape '\'
    group by candidates.activity_id, candidates.rule_id
),

matching as (
    select
        candidates.*,
        row_number() over (
            partition by candidates.activity_id order by candidates.rule_order
        ) as match_rank
    from candidates
    left join attribute_hits
        on attribute_hits.activity_id = candidates.activity_id
        and attribute_hits.rule_id = candidates.rule_id
    where coalesce(attribute_hits.attributes_matched, 0) = candidates.constrained_attributes
)

select
    activity_id,
    lead_id,
    activity_type,
    rule_id,
    points,
    max_points,
    half_life_days,
    occurred_at,
    activity_date
from matching
where match_rank = 1

-- Each identified event with the rule that scores it in each engagement group: within a group,
-- the first rule (in the order of rules/scoring.yml) whose activity type, detail, patterns and
-- frequency condition all hold. Groups add up, so an event can score in several groups.
-- Events no rule matches earn nothing and are not listed.
{{ config(materialized='table') }}
-- A table, not a view: the scoring day's explanations, the score history, the lifecycle
-- signals and the stage history all read it, and matching rules is the heaviest step.
with activities as (
    select * from {{ ref('int_activities_matched_to_leads') }}
    where lead_id is not null
),

-- a web visit's page category: the first category (in rules order) whose URL pattern matches
category_matches as (
    select
        activities.activity_id,
        min_by(categories.category, categories.category_order) as category
    from activities
    inner join {{ source('rules', 'page_categories') }} as categories
        on lower(activities.url) like categories.like_pattern escape '\'
    group by activities.activity_id
),

categorised as (
    select
        activities.*,
        category_matches.category as page_category
    from activities
    left join category_matches
        on category_matches.activity_id = activities.activity_id
),

rules as (
    select * from {{ source('rules', 'engagement_rules') }}
),

patterns as (
    select * from {{ source('rules', 'rule_patterns') }}
),

candidates as (
    select
        categorised.activity_id,
        categorised.lead_id,
        categorised.activity_type,
        categorised.page_category,
        categorised.url,
        categorised.form_name,
        categorised.campaign,
        categorised.asset,
        categorised.occurred_at,
        categorised.activity_date,
        rules.rule_id,
        rules.rule_order,
        rules.group_id,
        rules.points,
        rules.max_points,
        rules.max_points_per_day,
        rules.frequency_mode,
        rules.frequency_n,
        rules.frequency_days,
        rules.constrained_attributes
    from categorised
    inner join rules
        on rules.activity_type = categorised.activity_type
        and (rules.detail is null or rules.detail = categorised.detail)
),

-- How many of a rule's constrained attributes (url, page_category, form_name, campaign,
-- asset) the event satisfies: any one pattern per attribute is enough.
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
            when 'page_category' then candidates.page_category
            when 'form_name' then candidates.form_name
            when 'campaign' then candidates.campaign
            when 'asset' then candidates.asset
        end) like patterns.like_pattern escape '\'
    group by candidates.activity_id, candidates.rule_id
),

-- Events that match a rule's patterns, numbered per lead and rule: the frequency conditions
-- count these (first time, nth time, returning on a later day).
matching as (
    select
        candidates.*,
        row_number() over (
            partition by candidates.lead_id, candidates.rule_id
            order by candidates.occurred_at, candidates.activity_id
        ) as occurrence_number,
        min(candidates.activity_date) over (
            partition by candidates.lead_id, candidates.rule_id
        ) as first_activity_date,
        -- up to and including this instant (events at the same instant count alike)
        count(*) over (
            partition by candidates.lead_id, candidates.rule_id
            order by candidates.occurred_at
            range between unbounded preceding and current row
        ) as events_so_far
    from candidates
    left join attribute_hits
        on attribute_hits.activity_id = candidates.activity_id
        and attribute_hits.rule_id = candidates.rule_id
    where coalesce(attribute_hits.attributes_matched, 0) = candidates.constrained_attributes
),

-- {min_events: N, within_days: D}: the matching events in the D days up to each event (ties
-- at the same instant included) = the events up to it minus the events up to D days before
-- it, found with an ASOF join (the last event at or before that instant, and its running
-- count). Linear after sorting, where pairing each event with the earlier ones in its window
-- is quadratic in a lead's events: a lead with thousands of visits costs what it should.
min_events_rows as (
    select
        *,
        {{ dbt.dateadd('day', '0 - frequency_days', 'occurred_at') }} as window_opens_at
    from matching
    where frequency_mode = 'min_events'
),

events_in_frequency_window as (
    select
        later.activity_id,
        later.rule_id,
        later.events_so_far - coalesce(earlier.events_so_far, 0) as recent_events
    from min_events_rows as later
    asof left join matching as earlier
        on earlier.lead_id = later.lead_id
        and earlier.rule_id = later.rule_id
        and earlier.occurred_at <= later.window_opens_at
),

qualifying as (
    select matching.*
    from matching
    left join events_in_frequency_window as recent
        on recent.activity_id = matching.activity_id
        and recent.rule_id = matching.rule_id
    where case matching.frequency_mode
        when 'every_time' then true
        when 'first_time' then matching.occurrence_number = 1
        when 'nth_time' then matching.occurrence_number = matching.frequency_n
        when 'returning' then matching.activity_date > matching.first_activity_date
        when 'min_events' then recent.recent_events >= matching.frequency_n
    end
),

ranked as (
    select
        *,
        row_number() over (
            partition by activity_id, group_id order by rule_order
        ) as group_match_rank
    from qualifying
)

select
    activity_id,
    lead_id,
    activity_type,
    page_category,
    group_id,
    rule_id,
    points,
    max_points,
    max_points_per_day,
    occurred_at,
    activity_date
from ranked
where group_match_rank = 1

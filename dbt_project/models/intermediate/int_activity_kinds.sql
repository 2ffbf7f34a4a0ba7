-- Each kind of activity (its type, detail and the lowered attributes rule patterns look at:
-- url, form name, campaign, asset) with the engagement rules it matches, and its page
-- category. Tens of millions of events are of far fewer kinds, so URL categories and
-- patterns are matched once per kind; int_activities_scored then meets each event's rules
-- with one join. One row per kind and rule it matches; a kind no rule matches has none.
--
-- Incremental: what a kind matches depends only on the rules, so a night adds the kinds of
-- the events loaded or matched since the last build that are not listed yet, and the table
-- is what a fresh build would list. With other rules, a re-run of an earlier night (it drops
-- the events after that night), no record of the last build or --full-refresh, every kind
-- is matched again.
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ forget_rows_without_previous_build() }}",
        post_hook="{{ remember_build(with_history=false) }}",
    )
}}
{%- set previous = previous_build() %}
with events as (
    select {{ activity_kind_columns('matched') }}
    -- every event, matched to a lead or not yet: a kind does not depend on the lead
    from {{ ref('int_activities_matched_to_leads') }} as matched
    {%- if previous %}
    where matched._matched_at > {{ timestamp_literal(previous.matched_until) }}
    {%- endif %}
),

rules as (
    select * from {{ source('rules', 'engagement_rules') }}
),

patterns as (
    select * from {{ source('rules', 'rule_patterns') }}
),

-- the kinds not listed yet (all of them in a full build)
new_kinds as materialized (
    select distinct activity_type, detail, url, form_name, campaign, asset
    from events
    {%- if previous %}
    except
    select activity_type, detail, url, form_name, campaign, asset from {{ this }}
    {%- endif %}
),

-- a web page's category: the first category (in rules order) whose URL pattern matches
url_categories as (
    select
        urls.url,
        min_by(categories.category, categories.category_order) as page_category
    from (select distinct url from new_kinds where url is not null) as urls
    inner join {{ source('rules', 'page_categories') }} as categories
        on urls.url like categories.like_pattern escape '\'
    group by urls.url
),

-- a kind's page category follows from its URL
kinds as (
    select new_kinds.*, url_categories.page_category
    from new_kinds
    left join url_categories on url_categories.url = new_kinds.url
),

-- The rules each kind matches: activity type and detail, and for each constrained
-- attribute (url, page_category, form_name, campaign, asset) any one of its patterns.
kind_matches as (
    select
        kinds.*,
        rules.rule_id
    from kinds
    inner join rules
        on rules.activity_type = kinds.activity_type
        and (rules.detail is null or rules.detail = kinds.detail)
    where rules.constrained_attributes = (
        select count(distinct patterns.attribute)
        from patterns
        where patterns.rule_id = rules.rule_id
          and lower(case patterns.attribute
              when 'url' then kinds.url
              when 'page_category' then kinds.page_category
              when 'form_name' then kinds.form_name
              when 'campaign' then kinds.campaign
              when 'asset' then kinds.asset
          end) like patterns.like_pattern escape '\'
    )
),

-- Which matches can score: within a group a kind's rules after its first every_time
-- rule never win (that rule always qualifies first), and a group with one candidate needs no
-- ranking. Frequency rules still count every event that matches them, candidate or not.
kind_candidates as (
    select
        kind_matches.*,
        rules.group_id,
        rules.rule_order <= coalesce(min(case when rules.frequency_mode = 'every_time' then rules.rule_order end) over kind_group, rules.rule_order) as is_candidate
    from kind_matches
    inner join rules on rules.rule_id = kind_matches.rule_id
    window kind_group as (
        partition by
            kind_matches.activity_type, kind_matches.detail, kind_matches.url,
            kind_matches.page_category, kind_matches.form_name, kind_matches.campaign,
            kind_matches.asset, rules.group_id
    )
),

kind_rules as (
    select
        kind_candidates.*,
        count(*) filter (where is_candidate) over (
            partition by
                activity_type, detail, url, page_category, form_name, campaign, asset, group_id
        ) as group_candidates
    from kind_candidates
)

select
    activity_type,
    detail,
    url,
    form_name,
    campaign,
    asset,
    page_category,
    rule_id,
    group_id,
    is_candidate,
    group_candidates
from kind_rules

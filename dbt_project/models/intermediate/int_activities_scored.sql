-- Each identified event with the rule that scores it in each engagement group: within a group,
-- the first rule (in the order of rules/scoring.yml) whose activity type, detail, patterns and
-- frequency condition all hold. Groups add up, so an event can score in several groups.
-- Events no rule matches earn nothing and are not listed.
--
-- Built for tens of millions of events: patterns are matched once per kind of event
-- (int_activity_kinds), not once per event and rule, and only rules with a frequency
-- condition number their events.
--
-- Incremental: a night rescores only the leads whose events changed (new events, events
-- matched again: int_activities_matched_to_leads stamps them with _matched_at), and each
-- only from the day of its earliest changed event on: frequency conditions look back only
-- (first, nth time, returning, min_events in the days up to an event), so an event's score
-- depends on the lead's events up to it, never after. Only frequency rules read the lead's earlier
-- events: counted per rule, and windowed only in the last within_days. A change of rules
-- rescores every lead from its first event. The `replace_leads_from` strategy
-- (macros/replace_leads_from.sql) swaps each rescored lead's rows from that instant on, so
-- an event that no longer scores loses its old rows.
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_leads_from',
        unique_key='lead_id',
        on_schema_change='fail',
        pre_hook="{{ drop_events_after_scoring_day() }}",
    )
}}
-- A table, not a view: the scoring day's explanations, the score history, the lifecycle
-- signals and the stage history all read it.
-- `not materialized`: the events are read where they are needed; a copy of tens of millions
-- of rows (DuckDB's default for a CTE read twice) would spill gigabytes to disk.
with rules_version as (
    select rules_version from {{ source('rules', 'rules_version') }}
),

{% if is_incremental() %}
{#- what the rows kept were scored with, read when the model compiles: as constants, DuckDB
    skips the row groups of the events matched before -#}
{%- set scored = run_query(
    "select max(_matched_at), max(rules_version) = (select rules_version from "
    ~ source('rules', 'rules_version') ~ ") from " ~ this
).rows[0] if execute else [none, true] %}
-- each lead to rescore, from the start of the day of the earliest event that changed for it
-- (gained or lost); after a change of rules every lead, from its first day. Whole days: the
-- lifecycle signals take a changed day's last scored event from the rows written tonight.
leads_to_score as (
    select lead_id, {{ day_start('min(occurred_at)') }} as rescore_from
    from (
        {{ leads_touched_since(timestamp_literal(scored[0]) if scored[0] is not none else 'null') }}
        {% if not scored[1] %}
        union all
        select lead_id, occurred_at
        from {{ ref('int_activities_matched_to_leads') }}
        where lead_id is not null
        {% endif %}
    ) as changes
    group by lead_id
),

{% endif %}
-- is_rescored: the events whose scores this run writes (all of them in a full build), from
-- the lead's rescore_from on; the lead's earlier events are read only to count frequency
-- conditions
activities as not materialized (
    select
        matched.activity_id,
        matched.lead_id,
        matched.activity_type,
        matched.detail,
        lower(matched.url) as url,
        lower(matched.form_name) as form_name,
        lower(matched.campaign) as campaign,
        lower(matched.asset) as asset,
        matched.occurred_at,
        matched.activity_date,
        matched._matched_at,
        {% if is_incremental() -%}
        leads_to_score.rescore_from,
        matched.occurred_at >= leads_to_score.rescore_from
        {%- else -%}
        cast(null as {{ dbt.type_timestamp() }}) as rescore_from,
        true
        {%- endif %} as is_rescored
    from {{ ref('int_activities_matched_to_leads') }} as matched
    {% if is_incremental() %}
    inner join leads_to_score on leads_to_score.lead_id = matched.lead_id
    {% endif %}
    where matched.lead_id is not null
),

rules as (
    select * from {{ source('rules', 'engagement_rules') }}
),

-- each kind of event with the rules it matches (int_activity_kinds, matched once per kind)
kind_rules as (
    select * from {{ ref('int_activity_kinds') }}
),

-- Events with each rule they match (narrow rows: an event of a common kind matches a few
-- rules, and there are many events); every_time rules only where they can score.
matching as not materialized (
    select
        activities.activity_id,
        activities.lead_id,
        activities.activity_type,
        kind_rules.page_category,
        activities.occurred_at,
        activities.activity_date,
        activities._matched_at,
        activities.rescore_from,
        activities.is_rescored,
        rules.rule_id,
        rules.rule_order,
        rules.group_id,
        rules.points,
        rules.max_points,
        rules.max_points_per_day,
        rules.frequency_mode,
        rules.frequency_n,
        rules.frequency_days,
        kind_rules.is_candidate,
        kind_rules.group_candidates
    from activities
    inner join kind_rules
        on kind_rules.activity_type = activities.activity_type
        and kind_rules.detail is not distinct from activities.detail
        and kind_rules.url is not distinct from activities.url
        and kind_rules.form_name is not distinct from activities.form_name
        and kind_rules.campaign is not distinct from activities.campaign
        and kind_rules.asset is not distinct from activities.asset
    inner join rules on rules.rule_id = kind_rules.rule_id
    where kind_rules.is_candidate or rules.frequency_mode <> 'every_time'
),

-- Rules with a frequency condition count the lead's events that match them: numbered per
-- lead and rule (first time, nth time), the lead's first day (returning), and the matching
-- events in the D days up to each instant, events at the same instant alike
-- ({min_events: N, within_days: D}; the frame is (occurred_at - D days, occurred_at], its
-- width the rule's own: a RANGE frame may be an expression, constant within the partition).
-- A night rescores a lead from rescore_from on: its events from the longest within_days
-- before that are windowed (is_windowed), the earlier ones are only counted and their first
-- day kept (earlier_counts), which is what their row numbers and first day would add: at 1M
-- leads the night's windows sorted 12.7M rows, the statement now takes 17 s instead of 21 s.
frequency_lookback as (
    select coalesce(max(frequency_days) filter (where frequency_mode = 'min_events'), 0) as days
    from rules
),

-- Read twice on a night (the earlier events' counts, the windows), so kept once; a full
-- build windows every event (no earlier counts to read) and a copy of all of them would spill.
frequency_matching as {% if not is_incremental() %}not {% endif %}materialized (
    select
        matching.*,
        {% if is_incremental() -%}
        matching.occurred_at >= matching.rescore_from - to_days(frequency_lookback.days)
        {%- else -%}
        true
        {%- endif %} as is_windowed
    from matching
    cross join frequency_lookback
    where matching.frequency_mode <> 'every_time'
),

earlier_counts as (
    select lead_id, rule_id, count(*) as events, min(activity_date) as first_date
    from frequency_matching
    where not is_windowed
    group by lead_id, rule_id
),

-- The windows sort narrow rows (what they count by and what identifies the event); the
-- rule's points and caps are joined again afterwards: with every rule column in tow, the
-- windows over 40M events took 78 s instead of 65 s in a profile at 1M leads.
-- Only the candidates that qualify are kept, once: both halves of `scored` read them.
frequency_qualifying as materialized (
    select
        counted.activity_id, counted.lead_id, counted.activity_type, counted.page_category,
        counted.occurred_at, counted.activity_date, counted._matched_at, rules.rule_id,
        rules.rule_order, rules.group_id, rules.points, rules.max_points,
        rules.max_points_per_day, counted.group_candidates
    from (
        select
            windowed.activity_id, windowed.lead_id, windowed.activity_type,
            windowed.page_category, windowed.occurred_at, windowed.activity_date,
            windowed._matched_at, windowed.rule_id, windowed.is_candidate,
            windowed.is_rescored, windowed.group_candidates, windowed.frequency_mode,
            windowed.frequency_n,
            coalesce(earlier_counts.events, 0) + row_number() over (
                partition by windowed.lead_id, windowed.rule_id
                order by windowed.occurred_at, windowed.activity_id
            ) as occurrence_number,
            -- least() passes over a null: a lead without earlier events
            least(
                earlier_counts.first_date,
                min(windowed.activity_date) over (partition by windowed.lead_id, windowed.rule_id)
            ) as first_activity_date,
            count(*) over (
                partition by windowed.lead_id, windowed.rule_id
                order by windowed.occurred_at
                range between coalesce(
                    to_days(windowed.frequency_days) - interval '1 microsecond', interval '0 days'
                ) preceding and current row
            ) as recent_events
        from frequency_matching as windowed
        left join earlier_counts
            on earlier_counts.lead_id = windowed.lead_id
            and earlier_counts.rule_id = windowed.rule_id
        where windowed.is_windowed
    ) as counted
    inner join rules on rules.rule_id = counted.rule_id
    where counted.is_candidate
      and counted.is_rescored
      and case counted.frequency_mode
        when 'first_time' then counted.occurrence_number = 1
        when 'nth_time' then counted.occurrence_number = counted.frequency_n
        when 'returning' then counted.activity_date > counted.first_activity_date
        when 'min_events' then counted.recent_events >= counted.frequency_n
      end
),

qualifying as not materialized (
    select
        activity_id, lead_id, activity_type, page_category, occurred_at, activity_date,
        _matched_at, rule_id, rule_order, group_id, points, max_points, max_points_per_day,
        group_candidates
    from matching
    where frequency_mode = 'every_time' and is_rescored

    union all

    select * from frequency_qualifying
),

-- the first qualifying candidate of each event's group, ranked only where there are several
scored as (
    select * exclude (group_candidates) from qualifying where group_candidates = 1

    union all

    select * exclude (group_candidates) from qualifying
    where group_candidates > 1
    qualify row_number() over (partition by activity_id, group_id order by rule_order) = 1
)

select
    scored.activity_id,
    scored.lead_id,
    scored.activity_type,
    scored.page_category,
    scored.group_id,
    scored.rule_id,
    scored.points,
    scored.max_points,
    scored.max_points_per_day,
    scored.occurred_at,
    scored.activity_date,
    scored._matched_at,
    rules_version.rules_version,
    -- the run that wrote the row: the uniqueness test checks the night's rows against all
    {{ run_stamp() }} as _scored_at
from scored
cross join rules_version
{% if is_incremental() %}

union all

-- one row without an event per rescored lead, with the instant it is rescored from: the
-- replace_leads_from strategy drops the lead's old rows from then on, even when none of its
-- events scores any more, and inserts only rows with an event
select
    null, lead_id, null, null, null, null, null, null, null, rescore_from, null, null, null, null
from leads_to_score
{% endif %}

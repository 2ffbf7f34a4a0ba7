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
-- depends on the lead's events up to it, never after. A night reads only the lead's events
-- from the longest within_days before that day (where its frequency windows start); what came
-- earlier enters as a count and a first day per lead and rule, kept from night to night in
-- <this>__frequency_counts (macros/frequency_counts.sql: the pre-hook brings tonight's leads
-- up to their windows, the full build's post-hook counts everyone). A change of rules
-- rescores every lead from its first event. The `replace_leads_from` strategy
-- (macros/replace_leads_from.sql) swaps each rescored lead's rows from that instant on, so
-- an event that no longer scores loses its old rows.
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_leads_from',
        unique_key='lead_id',
        on_schema_change='fail',
        pre_hook=["{{ update_frequency_counts() }}", "{{ drop_events_after_scoring_day() }}"],
        post_hook="{{ remember_frequency_counts() }}",
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
{#- tonight's leads (the pre-hook renders the same, against the same table), the lookback and
    the earliest instant read, as constants: DuckDB skips the row groups of earlier events -#}
{%- set leads_sql = leads_to_rescore() %}
{%- set lookback = run_query("select " ~ frequency_lookback_days()).rows[0][0] if execute else 0 %}
{%- set earliest = run_query("select min(rescore_from) from (" ~ leads_sql ~ ") as leads").rows[0][0] if execute else none %}
-- each lead to rescore, from the start of the day of the earliest event that changed for it
-- (gained or lost); after a change of rules every lead, from its first day. Whole days: the
-- lifecycle signals take a changed day's last scored event from the rows written tonight.
leads_to_score as (
    {{ leads_sql }}
),

-- what the lead's events before its windows add up to, per frequency rule, as the pre-hook
-- counted them. It counts every lead rescored tonight up to exactly where its windows start;
-- a lead it missed would be scored from the wrong counts, so the run stops instead.
earlier_counts as (
    select counts.lead_id, counts.rule_id, counts.events, counts.first_date
    from {{ frequency_counts_relation() }} as counts
    inner join (
        select
            leads_to_score.lead_id,
            case when markers.counted_before is distinct from leads_to_score.rescore_from - to_days({{ lookback }})
                then error('the frequency counts of lead ' || leads_to_score.lead_id
                    || ' do not reach the start of its windows; rebuild with --full-refresh')
            end as problem
        from leads_to_score
        left join {{ frequency_counts_relation() }} as markers
            on markers.lead_id = leads_to_score.lead_id and markers.rule_id is null
    ) as checked on checked.lead_id = counts.lead_id
    where counts.rule_id is not null and checked.problem is null
),

{% endif %}
-- is_rescored: the events whose scores this run writes (all of them in a full build), from
-- the lead's rescore_from on; on a night the lead's events from the start of its frequency
-- windows are read too (frequency conditions count them), and none before
activities as not materialized (
    select
        matched.activity_id,
        matched.lead_id,
        {{ activity_kind_columns('matched') }},
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
    {%- if is_incremental() %}
      and matched.occurred_at >= leads_to_score.rescore_from - to_days({{ lookback }})
      {%- if earliest is not none %}
      and matched.occurred_at >= {{ timestamp_literal(earliest) }} - to_days({{ lookback }})
      {%- endif %}
    {%- endif %}
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
    inner join kind_rules on {{ is_kind_of('kind_rules', 'activities') }}
    inner join rules on rules.rule_id = kind_rules.rule_id
    where kind_rules.is_candidate or rules.frequency_mode <> 'every_time'
),

-- Rules with a frequency condition count the lead's events that match them: numbered per
-- lead and rule (first time, nth time), the lead's first day (returning), and the matching
-- events in the D days up to each instant, events at the same instant alike
-- ({min_events: N, within_days: D}; the frame is (occurred_at - D days, occurred_at], its
-- width the rule's own: a RANGE frame may be an expression, constant within the partition).
-- On a night the windows cover the events read (from the start of the lead's windows) and
-- the earlier ones add their count and first day (earlier_counts): at 1M leads a night's
-- 110,000 leads have 15.6M events, of which 0.9M fall in their windows and meet the rules.
frequency_matching as not materialized (
    select *
    from matching
    where frequency_mode <> 'every_time'
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
            {#- a full build windows every event: nothing comes before #}
            {% if is_incremental() %}coalesce(earlier_counts.events, 0) + {% endif %}row_number() over (
                partition by windowed.lead_id, windowed.rule_id
                order by windowed.occurred_at, windowed.activity_id
            ) as occurrence_number,
            -- least() passes over a null: a lead without earlier events
            {% if is_incremental() %}least(earlier_counts.first_date, {% endif %}
                min(windowed.activity_date) over (partition by windowed.lead_id, windowed.rule_id)
            {% if is_incremental() %}){% endif %} as first_activity_date,
            count(*) over (
                partition by windowed.lead_id, windowed.rule_id
                order by windowed.occurred_at
                range between coalesce(
                    to_days(windowed.frequency_days) - interval '1 microsecond', interval '0 days'
                ) preceding and current row
            ) as recent_events
        from frequency_matching as windowed
        {%- if is_incremental() %}
        left join earlier_counts
            on earlier_counts.lead_id = windowed.lead_id
            and earlier_counts.rule_id = windowed.rule_id
        {%- endif %}
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
{% if not is_incremental() %}
-- in date order, like the matched events (see int_activities_matched_to_leads)
order by scored.activity_date
{% else %}

union all

-- one row without an event per rescored lead, with the instant it is rescored from: the
-- replace_leads_from strategy drops the lead's old rows from then on, even when none of its
-- events scores any more, and inserts only rows with an event
select
    null, lead_id, null, null, null, null, null, null, null, rescore_from, null, null, null, null
from leads_to_score
{% endif %}

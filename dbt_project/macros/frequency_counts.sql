{#- Frequency conditions (first, nth time, returning, {min_events, within_days}) count a lead's
    earlier events that match the rule. A night rescores a lead from the start of the day of
    its earliest changed event (rescore_from) and windows its events from the longest
    within_days before that (the lookback); what came earlier enters only as a count and a
    first day per lead and rule. Those are kept in `int_activities_scored__frequency_counts`
    so that a night reads a lead's recent events only, not its whole history (at 1M leads a
    night's 110,000 leads have 15.6M events, of which about 0.9M fall in their windows).

    One row per lead and frequency rule it has matched (events, first_date), counted over
    the lead's events before `counted_before`, and one marker row per lead (rule_id null)
    with its counted_before. Every lead with matched events has a marker: the full build
    counts everyone up to the end of the scoring day minus the lookback, and each night the
    pre-hook brings tonight's leads to their own rescore_from minus the lookback (adding the
    events in between, or counting the lead's events again when a late or re-matched event
    lies before what was counted). So a lead without a marker has no event but tonight's
    changed ones, all from its rescore_from on: nothing before its windows to count. -#}
{% macro frequency_counts_relation() -%}
    {{- return(kept_beside('frequency_counts')) -}}
{%- endmacro %}

{#- The lookback in days: the longest within_days of the min_events rules (0 without any). -#}
{% macro frequency_lookback_days() -%}
    (
        select coalesce(max(frequency_days) filter (where frequency_mode = 'min_events'), 0)
        from {{ source('rules', 'engagement_rules') }}
    )
{%- endmacro %}

{#- The leads int_activities_scored (`this`) rescores tonight, each from the start of the day
    of the earliest event that changed for it (gained or lost); after a change of rules every
    lead, from its first day. What the kept rows were scored with is read when this is
    rendered: as constants, DuckDB skips the row groups of the events matched before. The
    model and its pre-hook render it against the same table, so they agree. -#}
{% macro leads_to_rescore() -%}
    {%- set scored = run_query(
        "select max(_matched_at), max(rules_version) = (select rules_version from "
        ~ source('rules', 'rules_version') ~ ") from " ~ this
    ).rows[0] if execute else [none, true] -%}
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
{%- endmacro %}

{#- The events of `events` (rows of int_activities_matched_to_leads) that match a rule with a
    frequency condition: lead, rule and when, through the kinds of activity. -#}
{% macro frequency_matches(events) -%}
    select events.lead_id, kinds.rule_id, events.occurred_at, events.activity_date
    from (
        select lead_id, occurred_at, activity_date, {{ activity_kind_columns('events') }}
        from {{ events }} as events
    ) as events
    inner join {{ ref('int_activity_kinds') }} as kinds on {{ is_kind_of('kinds', 'events') }}
    inner join {{ source('rules', 'engagement_rules') }} as rules on rules.rule_id = kinds.rule_id
    where rules.frequency_mode <> 'every_time'
{%- endmacro %}

{#- Every lead's counts up to `counted_before` (a SQL timestamp), from all its events: the
    full build's post-hook, and a night's pre-hook when the table is missing. The bound is
    read first and written as a constant, and the events are read twice rather than shared:
    with the bound a subquery and the events one CTE, DuckDB copied the 50M events at 1M leads
    and joined every one with the bound in a nested loop: 71 s of a full build, now 15 s. -#}
{% macro build_frequency_counts(counted_before) -%}
    {%- set counted_before = timestamp_literal(run_query("select " ~ counted_before).rows[0][0]) if execute else counted_before -%}
    create or replace table {{ frequency_counts_relation() }} as
    with events as not materialized (
        select *
        from {{ ref('int_activities_matched_to_leads') }}
        where lead_id is not null
    ),

    counts as (
        select lead_id, rule_id, count(*) as events, min(activity_date) as first_date
        from ({{ frequency_matches('events') }}) as matches
        where occurred_at < {{ counted_before }}
        group by lead_id, rule_id
    )

    select distinct lead_id, cast(null as varchar) as rule_id, cast(null as bigint) as events,
        cast(null as date) as first_date, {{ counted_before }} as counted_before
    from events

    union all

    select lead_id, rule_id, events, first_date, {{ counted_before }}
    from counts
{%- endmacro %}

{#- Post-hook: after a full build, every lead counted up to the end of the scoring day minus
    the lookback, where the next night's windows start. -#}
{% macro remember_frequency_counts() -%}
    {%- if not is_incremental() -%}
    {{ build_frequency_counts(as_of_end() ~ ' - to_days(' ~ frequency_lookback_days() ~ ')') }}
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of a night: bring each lead rescored tonight to its rescore_from minus the
    lookback (its `counted_before` tonight). Kept counts that stop at or before that are
    carried on with the events in between; a lead whose kept counts reach past it (a late or
    re-matched event before them) is counted again from all its earlier events. Whether any
    event must be read at all, and from when, is found when the hook renders: as constants,
    DuckDB skips the row groups of earlier events (where exports arrive in time order, as
    they usually do), and reads nothing on a night when no lead needs it. -#}
{% macro update_frequency_counts() -%}
    {%- if not execute or not is_incremental() -%}{{ return('') }}{%- endif -%}
    {%- set counts = frequency_counts_relation() -%}
    {%- set exists = existing_relation(counts) is not none -%}
    {%- if not exists -%}
    {#- a warehouse from before the counts were kept: everyone up to where tonight starts,
        minus the lookback (a lead rescored from earlier is counted again below) -#}
    {{ build_frequency_counts(day_start(as_of_date()) ~ ' - to_days(' ~ frequency_lookback_days() ~ ')') }};
    {%- endif %}
    {%- set tonight_sql -%}
        select
            leads.lead_id,
            leads.rescore_from - to_days({{ frequency_lookback_days() }}) as counted_before,
            kept.counted_before as kept_before
        from ({{ leads_to_rescore() }}) as leads
        left join {{ counts }} as kept
            on kept.lead_id = leads.lead_id and kept.rule_id is null
    {%- endset -%}
    {#- whether any event must be read (some lead's kept counts stop before tonight's start),
        whether some lead is counted again (its kept counts reach past it), and the earliest
        day read otherwise: constants, so DuckDB skips the row groups of earlier events -#}
    {%- set reads = run_query(
        "select coalesce(bool_or(kept_before <> counted_before), false), "
        ~ "coalesce(bool_or(kept_before > counted_before), false), "
        ~ "min(kept_before) filter (where kept_before < counted_before) "
        ~ "from (" ~ tonight_sql ~ ") as tonight"
    ).rows[0] if exists else [true, true, none] -%}
    create or replace temp table frequency_counts_tonight as
    with tonight as (
        {{ tonight_sql }}
    ),

    -- the events between what was counted and where tonight's counts start: for a lead
    -- counted again (kept counts past its start) all its earlier events
    between_counts as (
        select events.*
        from {{ ref('int_activities_matched_to_leads') }} as events
        inner join tonight on tonight.lead_id = events.lead_id
        where {% if not reads[0] %}false and {% elif not reads[1] %}events.occurred_at >= {{ timestamp_literal(reads[2]) }} and {% endif -%}
            events.occurred_at < tonight.counted_before
          and (tonight.kept_before > tonight.counted_before or events.occurred_at >= tonight.kept_before)
    ),

    added as (
        select lead_id, rule_id, count(*) as events, min(activity_date) as first_date
        from ({{ frequency_matches('between_counts') }}) as matches
        group by lead_id, rule_id
    ),

    carried as (
        select kept.lead_id, kept.rule_id, kept.events, kept.first_date
        from {{ counts }} as kept
        inner join tonight
            on tonight.lead_id = kept.lead_id and tonight.kept_before <= tonight.counted_before
        where kept.rule_id is not null
    )

    select lead_id, cast(null as varchar) as rule_id, cast(null as bigint) as events,
        cast(null as date) as first_date, counted_before
    from tonight

    union all

    select
        tonight.lead_id,
        coalesce(carried.rule_id, added.rule_id),
        coalesce(carried.events, 0) + coalesce(added.events, 0),
        least(carried.first_date, added.first_date),
        tonight.counted_before
    from carried
    full join added on added.lead_id = carried.lead_id and added.rule_id = carried.rule_id
    inner join tonight on tonight.lead_id = coalesce(carried.lead_id, added.lead_id);

    delete from {{ counts }} where lead_id in (select lead_id from frequency_counts_tonight);
    insert into {{ counts }} select * from frequency_counts_tonight;
    drop table frequency_counts_tonight
{%- endmacro %}

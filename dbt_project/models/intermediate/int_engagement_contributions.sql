-- Engagement points per lead and rule at the end of the scoring day, after decay and caps
-- (see macros/engagement.sql): what fct_score_contributions explains and
-- fct_lead_scores_daily adds up. A table: computed once, read by both and by two tests.
--
-- Carried from night to night. Every lead decays every night, but a rule's sums change only
-- through the event days whose decay factor changes tonight: the new day enters, a day leaves
-- the window, a linear or window decay takes its next step; a half-life multiplies the whole
-- sum by the same factor. So when the table holds the night before's sums (same rules), a
-- night reads those few event days instead of the whole window of every lead, and the
-- columns starting with _ are the sums it carries on. Leads whose earlier events changed
-- (an event that arrived late, one matched to another lead) are computed afresh, and so is
-- everyone after a gap, a re-run of an earlier night, a change of rules or --full-refresh.
-- The table reads its own previous build ({{ this }}) while it builds the new one; the record
-- of that build (rules version, events taken in) is kept beside it (macros/build_record.sql).
{{ config(materialized='table', post_hook="{{ remember_build(with_history=false) }}") }}
{#- last night's build, same rules, not --full-refresh; none: every lead afresh -#}
{%- set carried_from = previous_night_build(with_history=false) %}
with
{%- if carried_from is none %}

-- every lead with scored events, from its events (taken from the events, not the CRM
-- leads: with the leads view as the source DuckDB estimated the join sizes differently and
-- the full build took 93 s instead of 28 s at 1M leads)
score_points as (
    select distinct lead_id, {{ as_of_date() }} as score_date from {{ ref('int_activities_scored') }}
),
{%- else %}

{#- the CTEs below down to `steps` also run when the model compiles: the few event days that
    step tonight become constants, which filter the scored events as they are read (and let
    DuckDB skip row groups of other days) instead of every event (75M at 1M leads) being
    joined to the steps -#}
{%- set steps_ctes %}
settings as (
    select window_days from {{ source('rules', 'engagement_settings') }}
),

groups as (
    select rules.rule_id, groups.*
    from {{ source('rules', 'engagement_rules') }} as rules
    inner join {{ source('rules', 'engagement_groups') }} as groups
        on groups.group_id = rules.group_id
),

-- each rule's share of a day's points at every age in the window, none from window_days on
age_factors as (
    {{ factors_by_age('groups', 'rule_id') }}
),

-- What changes between last night's sums and tonight's for an event day at age_days tonight:
-- the decayed points by point_step per point, the counts (events still counting: factor
-- above nothing) by count_step. A half-life instead multiplies yesterday's decayed sum by
-- carry_factor (one day of decay), so only the new day and the day leaving the window step.
rule_steps as (
    select
        rule_id,
        age_days,
        case
            when decay_kind = 'half_life' then case
                when age_days = 0 then 1.0
                when age_days = window_days then 0.0 - power(0.5, window_days / half_life_days)
                else 0.0
            end
            else factor - coalesce(previous_factor, 0.0)
        end as point_step,
        (factor > 0)::integer - coalesce((previous_factor > 0)::integer, 0) as count_step
    from (
        select
            age_factors.*,
            groups.decay_kind,
            groups.half_life_days,
            settings.window_days,
            lag(factor) over (partition by age_factors.rule_id order by age_days) as previous_factor
        from age_factors
        inner join groups on groups.rule_id = age_factors.rule_id
        cross join settings
    ) as factors
),

steps as (
    select
        *,
        cast({{ dbt.dateadd('day', '0 - age_days', as_of_date()) }} as date) as event_date
    from rule_steps
    where point_step <> 0 or count_step <> 0
)
{%- endset %}
{%- set stepping_dates_sql = 'with ' ~ steps_ctes ~ ' select distinct cast(event_date as varchar) from steps order by 1' %}
{%- set stepping_dates = run_query(stepping_dates_sql).columns[0].values() if execute else [] %}
{{ steps_ctes }},

carry_factors as (
    select
        rule_id,
        case when decay_kind = 'half_life' then power(0.5, 1.0 / half_life_days) else 1.0 end as carry_factor
    from groups
),

-- Leads computed afresh: those int_activities_scored rescored from before the scoring day
-- (an event matched since these sums were built, dated earlier: it arrived late, or moved
-- to or from the lead). Counted when the model compiles: on most nights there are none, and
-- then the scored events are not read at all, nor are last night's 9M rows checked against
-- an empty list (DuckDB still ran that anti-join: 1.8 s of CPU at 1M leads).
{%- set afresh_sql %}
    select distinct lead_id, {{ as_of_date() }} as score_date
    from ({{ leads_touched_since(timestamp_literal(carried_from.matched_until)) }}) as touched
    where occurred_at < cast({{ as_of_date() }} as {{ dbt.type_timestamp() }})
{%- endset %}
{%- set any_afresh = run_query("select count(*) > 0 from (" ~ afresh_sql ~ ") as afresh").rows[0][0] if execute else true %}
score_points as (
    {{ afresh_sql }}
),

-- the scored events of the days whose factor changes tonight (a few days of the window),
-- taken by themselves: joined to the steps directly, DuckDB moved the filter to the steps
stepping_events as materialized (
    select lead_id, rule_id, activity_date, points, max_points, max_points_per_day
    from {{ ref('int_activities_scored') }}
    where activity_date in (
        {%- for day in stepping_dates %}cast('{{ day }}' as date){{ ', ' if not loop.last }}{% endfor %}
        {%- if not stepping_dates %}null{% endif %})
),

-- each event day whose factor changes tonight, with its day cap, as the full arithmetic caps it
stepping_days as (
    select
        scored.lead_id,
        scored.rule_id,
        steps.point_step,
        steps.count_step,
        {{ day_sums('scored') }}
    from stepping_events as scored
    inner join steps
        on steps.rule_id = scored.rule_id
        and scored.activity_date = steps.event_date
    {%- if any_afresh %}
    where not exists (select 1 from score_points where score_points.lead_id = scored.lead_id)
    {%- endif %}
    group by scored.lead_id, scored.rule_id, scored.activity_date, steps.point_step, steps.count_step
),

-- tonight's steps per lead and rule
rule_step_sums as (
    select
        lead_id,
        rule_id,
        max(max_points) as max_points,
        sum(count_step * events) as occurrences,
        sum(count_step * raw_points) as raw_points,
        sum(count_step * day_points) as day_capped_points,
        sum(count_step * is_day_capped::integer) as capped_days,
        sum(point_step * day_points) as decayed_sum
    from ({{ with_day_cap('stepping_days') }}) as capped
    group by lead_id, rule_id
),

-- last night's sums of the other leads, a day older, plus tonight's steps (joined, not
-- grouped: the steps are few, last night's rows are millions)
carried as (
    select
        {{ as_of_date() }} as score_date,
        coalesce(previous.lead_id, steps.lead_id) as lead_id,
        coalesce(previous.rule_id, steps.rule_id) as rule_id,
        coalesce(previous._max_points, steps.max_points) as max_points,
        coalesce(previous.occurrences, 0) + coalesce(steps.occurrences, 0) as occurrences,
        coalesce(previous.raw_points, 0) + coalesce(steps.raw_points, 0) as raw_points,
        coalesce(previous._day_capped_points, 0) + coalesce(steps.day_capped_points, 0) as day_capped_points,
        coalesce(previous._capped_days, 0) + coalesce(steps.capped_days, 0) as capped_days,
        coalesce(previous._decayed_sum * carry_factors.carry_factor, 0.0) + coalesce(steps.decayed_sum, 0.0) as decayed_sum
    from (
        select *
        from {{ this }}
        where _decayed_sum is not null
        {%- if any_afresh %}
          and not exists (select 1 from score_points where score_points.lead_id = {{ this }}.lead_id)
        {%- endif %}
    ) as previous
    left join carry_factors on carry_factors.rule_id = previous.rule_id
    full join rule_step_sums as steps
        on steps.lead_id = previous.lead_id and steps.rule_id = previous.rule_id
    -- a rule none of whose events count any more has no row, as in the full arithmetic
    where coalesce(previous.occurrences, 0) + coalesce(steps.occurrences, 0) > 0
),
{%- endif %}

contributions as (
    select * from {{ engagement_contributions(
        'score_points',
        carried=('carried' if carried_from is not none else none),
        events=(carried_from is none or any_afresh),
    ) }} as contributions
)

select * from contributions

{#- Engagement points per lead, rule and score date, at the (lead_id, score_date) pairs of the
    relation or CTE `score_points`. In order:
      1. each day's points of a rule, capped at the rule's max_points_per_day;
      2. decayed by the rule's group: half-life, linear per period, rolling window or none
         (by whole days between the event day and the score date); events past the
         engagement window, or decayed to nothing, no longer count;
      3. summed per rule and capped at the rule's max_points (in either direction);
      4. summed per group and capped at the group's max_points: the cut appears as its own
         row `<group>_group_cap`, so a lead's rows always add up to its engagement points.
    One place for this arithmetic: the explanations of the scoring day
    (int_engagement_contributions) and the score history (macros/score_history.sql) both use it.
    The work grows with the score points asked for, not with the days of history.
    totals_only=true gives one row per score point, its engagement points, without the rule
    rows: for millions of points, where a rule row read twice (rules and their group's cap)
    would be held in memory.
    Leads, rules and groups are numbered first and the arithmetic runs on the numbers: the
    aggregates hold a row per score point and rule (94M for the first build at 1M leads),
    and with the ids as text as keys they ran out of a 4 GB memory limit. -#}
{% macro engagement_contributions(score_points, totals_only=false) -%}
(
    with settings as (
        select window_days from {{ source('rules', 'engagement_settings') }}
    ),

    lead_keys as (
        select lead_id, row_number() over () as lead_key
        from (select distinct lead_id from {{ score_points }}) as leads_asked
    ),

    rule_keys as (
        select
            rules.rule_id,
            rules.rule_order as rule_key,
            rules.group_id,
            dense_rank() over (order by rules.group_id) as group_key,
            groups.max_points as group_max_points,
            groups.decay_kind,
            groups.half_life_days,
            groups.decay_percent,
            groups.decay_every_days,
            groups.decay_window_days
        from {{ source('rules', 'engagement_rules') }} as rules
        inner join {{ source('rules', 'engagement_groups') }} as groups
            on groups.group_id = rules.group_id
    ),

    points_asked as (
        select lead_keys.lead_key, asked.score_date
        from {{ score_points }} as asked
        inner join lead_keys on lead_keys.lead_id = asked.lead_id
    ),

    asked_dates as (
        select min(score_date) as first_date, max(score_date) as last_date from points_asked
    ),

    event_days as (
        select
            lead_keys.lead_key,
            rule_keys.rule_key,
            scored.activity_date,
            count(*) as events,
            sum(scored.points) as raw_points,
            max(scored.max_points) as max_points,
            max(scored.max_points_per_day) as max_points_per_day
        from {{ ref('int_activities_scored') }} as scored
        inner join lead_keys on lead_keys.lead_id = scored.lead_id
        inner join rule_keys on rule_keys.rule_id = scored.rule_id
        -- only the days some score point's window can reach
        cross join asked_dates
        cross join settings
        where scored.activity_date <= asked_dates.last_date
          and scored.activity_date
              > {{ dbt.dateadd('day', '0 - settings.window_days', 'asked_dates.first_date') }}
        group by lead_keys.lead_key, rule_keys.rule_key, scored.activity_date
    ),

    capped_days as (
        select
            event_days.*,
            coalesce(abs(raw_points) > max_points_per_day, false) as is_day_capped,
            case
                when abs(raw_points) > max_points_per_day then sign(raw_points) * max_points_per_day
                else raw_points
            end as day_points
        from event_days
    ),

    aged as (
        select
            points_asked.score_date,
            capped_days.*,
            {{ dbt.datediff('capped_days.activity_date', 'points_asked.score_date', 'day') }} as age_days
        from points_asked
        cross join settings
        inner join capped_days
            on capped_days.lead_key = points_asked.lead_key
            and capped_days.activity_date <= points_asked.score_date
            and capped_days.activity_date
                > {{ dbt.dateadd('day', '0 - settings.window_days', 'points_asked.score_date') }}
    ),

    decayed as (
        select
            aged.*,
            case rule_keys.decay_kind
                when 'half_life' then power(0.5, aged.age_days / rule_keys.half_life_days)
                when 'linear' then greatest(
                    0.0,
                    1.0 - rule_keys.decay_percent / 100.0 * floor(aged.age_days / rule_keys.decay_every_days)
                )
                when 'window' then case when aged.age_days < rule_keys.decay_window_days then 1.0 else 0.0 end
                else 1.0
            end as day_decay_factor
        from aged
        inner join rule_keys on rule_keys.rule_key = aged.rule_key
    ),

    -- The totals need only the capped sum of each rule: leaner rows, so the aggregate over
    -- hundreds of millions of joined rows of a first build stays small enough to spill.
    per_rule as (
        select
            score_date,
            lead_key,
            rule_key,
            max(max_points) as max_points,
            {%- if not totals_only %}
            sum(events) as occurrences,
            sum(raw_points) as raw_points,
            sum(day_points) as day_capped_points,
            {{ dbt.bool_or('is_day_capped') }} as is_day_capped,
            {%- endif %}
            sum(day_points * day_decay_factor) as decayed_points
        from decayed
        where day_decay_factor > 0
        group by score_date, lead_key, rule_key
    ),

    rule_rows as (
        select
            per_rule.score_date,
            per_rule.lead_key,
            per_rule.rule_key,
            rule_keys.group_key,
            {%- if not totals_only %}
            cast(per_rule.occurrences as bigint) as occurrences,
            cast(per_rule.raw_points as bigint) as raw_points,
            {{ points('per_rule.decayed_points') }} as decayed_points,
            -- the share of the (day-capped) points left after decay: 1 = events of the score date
            cast(round(case when per_rule.day_capped_points <> 0 then per_rule.decayed_points / per_rule.day_capped_points end, 4) as decimal(10, 4)) as decay_factor,
            per_rule.is_day_capped or coalesce(abs(per_rule.decayed_points) > per_rule.max_points, false) as is_capped,
            {%- endif %}
            {{ points('case when abs(per_rule.decayed_points) > per_rule.max_points then sign(per_rule.decayed_points) * per_rule.max_points else per_rule.decayed_points end') }} as final_points
        from per_rule
        inner join rule_keys on rule_keys.rule_key = per_rule.rule_key
    ),

    group_totals as (
        select
            score_date,
            lead_key,
            group_key,
            sum(final_points) as group_points
        from rule_rows
        group by score_date, lead_key, group_key
    ),

    group_caps as (
        select distinct group_key, group_id, group_max_points from rule_keys
    )

    {% if totals_only -%}
    -- one row per score point: every rule row and cap cut added up, in one pass
    select
        totals.score_date,
        lead_keys.lead_id,
        totals.engagement_points
    from (
        select
            group_totals.score_date,
            group_totals.lead_key,
            sum(case when abs(group_totals.group_points) > group_caps.group_max_points
                then cast(sign(group_totals.group_points) * group_caps.group_max_points as decimal(18, 2))
                else group_totals.group_points
            end) as engagement_points
        from group_totals
        inner join group_caps on group_caps.group_key = group_totals.group_key
        group by group_totals.score_date, group_totals.lead_key
    ) as totals
    inner join lead_keys on lead_keys.lead_key = totals.lead_key
    {%- else -%}
    select
        rule_rows.score_date,
        lead_keys.lead_id,
        rule_keys.group_id,
        rule_keys.rule_id,
        rule_rows.occurrences,
        rule_rows.raw_points,
        rule_rows.decayed_points,
        rule_rows.decay_factor,
        rule_rows.is_capped,
        rule_rows.final_points
    from rule_rows
    inner join lead_keys on lead_keys.lead_key = rule_rows.lead_key
    inner join rule_keys on rule_keys.rule_key = rule_rows.rule_key

    union all

    select
        group_totals.score_date,
        lead_keys.lead_id,
        group_caps.group_id,
        group_caps.group_id || '_group_cap' as rule_id,
        cast(0 as bigint) as occurrences,
        cast(0 as bigint) as raw_points,
        cast(0 as decimal(18, 2)) as decayed_points,
        cast(null as decimal(10, 4)) as decay_factor,
        true as is_capped,
        cast(sign(group_totals.group_points) * group_caps.group_max_points - group_totals.group_points as decimal(18, 2)) as final_points
    from group_totals
    inner join group_caps on group_caps.group_key = group_totals.group_key
    inner join lead_keys on lead_keys.lead_key = group_totals.lead_key
    where abs(group_totals.group_points) > group_caps.group_max_points
    {%- endif %}
)
{%- endmacro %}

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
    (int_engagement_contributions) and the score history (fct_lead_scores_daily) both use it.
    The work grows with the score points asked for, not with the days of history.
    totals_only=true gives one row per score point, its engagement points, without the rule
    rows: for millions of points, where a rule row read twice (rules and their group's cap)
    would be held in memory. -#}
{% macro engagement_contributions(score_points, totals_only=false) -%}
(
    with settings as (
        select window_days from {{ source('rules', 'engagement_settings') }}
    ),

    groups as (
        select * from {{ source('rules', 'engagement_groups') }}
    ),

    event_days as (
        select
            lead_id,
            group_id,
            rule_id,
            activity_date,
            count(*) as events,
            sum(points) as raw_points,
            max(max_points) as max_points,
            max(max_points_per_day) as max_points_per_day
        from {{ ref('int_activities_scored') }}
        group by lead_id, group_id, rule_id, activity_date
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
        from {{ score_points }} as points_asked
        cross join settings
        inner join capped_days
            on capped_days.lead_id = points_asked.lead_id
            and capped_days.activity_date <= points_asked.score_date
            and capped_days.activity_date
                > {{ dbt.dateadd('day', '0 - settings.window_days', 'points_asked.score_date') }}
    ),

    decayed as (
        select
            aged.*,
            case groups.decay_kind
                when 'half_life' then power(0.5, aged.age_days / groups.half_life_days)
                when 'linear' then greatest(
                    0.0,
                    1.0 - groups.decay_percent / 100.0 * floor(aged.age_days / groups.decay_every_days)
                )
                when 'window' then case when aged.age_days < groups.decay_window_days then 1.0 else 0.0 end
                else 1.0
            end as day_decay_factor
        from aged
        inner join groups on groups.group_id = aged.group_id
    ),

    per_rule as (
        select
            score_date,
            lead_id,
            group_id,
            rule_id,
            max(max_points) as max_points,
            sum(events) as occurrences,
            sum(raw_points) as raw_points,
            sum(day_points) as day_capped_points,
            {{ dbt.bool_or('is_day_capped') }} as is_day_capped,
            sum(day_points * day_decay_factor) as decayed_points
        from decayed
        where day_decay_factor > 0
        group by score_date, lead_id, group_id, rule_id
    ),

    rule_rows as (
        select
            score_date,
            lead_id,
            group_id,
            rule_id,
            cast(occurrences as bigint) as occurrences,
            cast(raw_points as bigint) as raw_points,
            {{ points('decayed_points') }} as decayed_points,
            -- the share of the (day-capped) points left after decay: 1 = events of the score date
            cast(round(case when day_capped_points <> 0 then decayed_points / day_capped_points end, 4) as decimal(10, 4)) as decay_factor,
            is_day_capped or coalesce(abs(decayed_points) > max_points, false) as is_capped,
            {{ points('case when abs(decayed_points) > max_points then sign(decayed_points) * max_points else decayed_points end') }} as final_points
        from per_rule
    ),

    group_totals as (
        select
            rule_rows.score_date,
            rule_rows.lead_id,
            rule_rows.group_id,
            sum(rule_rows.final_points) as group_points,
            max(groups.max_points) as group_max_points
        from rule_rows
        inner join groups on groups.group_id = rule_rows.group_id
        group by rule_rows.score_date, rule_rows.lead_id, rule_rows.group_id
    )

    {% if totals_only -%}
    -- one row per score point: every rule row and cap cut added up, in one pass
    select
        score_date,
        lead_id,
        sum(case when abs(group_points) > group_max_points
            then cast(sign(group_points) * group_max_points as decimal(18, 2))
            else group_points
        end) as engagement_points
    from group_totals
    group by score_date, lead_id
    {%- else -%}
    select * from rule_rows

    union all

    select
        score_date,
        lead_id,
        group_id,
        group_id || '_group_cap' as rule_id,
        cast(0 as bigint) as occurrences,
        cast(0 as bigint) as raw_points,
        cast(0 as decimal(18, 2)) as decayed_points,
        cast(null as decimal(10, 4)) as decay_factor,
        true as is_capped,
        cast(sign(group_points) * group_max_points - group_points as decimal(18, 2)) as final_points
    from group_totals
    where abs(group_points) > group_max_points
    {%- endif %}
)
{%- endmacro %}

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
    rows: for millions of points (the score history), where a rule row read twice (rules and
    their group's cap) would be held in memory. It also finds step 2 another way: pairing
    every score point with every event day in its window (635M pairs for the first build at
    1M leads) cost two thirds of the history's time, so instead each event day's points
    enter a running sum per lead and rule, and leave it again, on the days the decay factor
    changes (decay_steps); a score point reads the running sum on its day. A half-life
    changes the factor every day, so its points enter scaled by 2^(day / half-life) and the
    sum read is scaled back; where that scale would leave a double's range (a first build
    far longer than the half-life) the half-life steps day by day instead. The sums agree
    with the direct arithmetic to well under a cent (they are rounded to 9 places before the
    cent; tests/test_pipeline.py compares the two).
    Leads, rules and groups are numbered first and the arithmetic runs on the numbers: the
    aggregates hold a row per score point and rule (94M for the first build at 1M leads),
    and with the ids as text as keys they ran out of a 4 GB memory limit. The scoring day's
    rule rows (one score point per lead) go back to the text ids once summed per rule, and
    rows carried from the night before (`carried`) never leave them. events=false: the caller
    knows no score point is asked (every lead is carried), so the scored events are not read
    at all (DuckDB scanned all 75M of them before finding nothing to join at 1M leads). -#}
{% macro engagement_contributions(score_points, totals_only=false, carried=none, events=true) -%}
(
    with settings as (
        select window_days from {{ source('rules', 'engagement_settings') }}
    ),

    -- the leads whose points come from their events (the carried ones keep their text ids)
    lead_keys as (
        select lead_id, row_number() over () as lead_key
        from (select distinct lead_id from {{ score_points }}) as leads
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
            {{ day_sums('scored') }}
        from {{ ref('int_activities_scored') }} as scored
        inner join lead_keys on lead_keys.lead_id = scored.lead_id
        inner join rule_keys on rule_keys.rule_id = scored.rule_id
        -- only the days some score point's window can reach
        cross join asked_dates
        cross join settings
        where {% if not events %}false and {% endif %}scored.activity_date <= asked_dates.last_date
          and scored.activity_date
              > {{ dbt.dateadd('day', '0 - settings.window_days', 'asked_dates.first_date') }}
        group by lead_keys.lead_key, rule_keys.rule_key, scored.activity_date
    ),

    capped_days as (
        {{ with_day_cap('event_days') }}
    ),

{%- if totals_only %}
    -- the first day a score point looks back to: half-life sums are scaled from it
    sweep_base as (
        select
            asked_dates.first_date - settings.window_days as base_date,
            asked_dates.last_date - asked_dates.first_date + settings.window_days as span_days
        from asked_dates
        cross join settings
    ),

    -- is_scaled: a half-life summed scaled, while 2^(span / half-life) stays far inside a
    -- double's range (2^1023), with room for sums of large points
    rule_decay as (
        select
            rule_keys.*,
            coalesce(
                rule_keys.decay_kind = 'half_life'
                and sweep_base.span_days / rule_keys.half_life_days <= 900,
                false
            ) as is_scaled
        from rule_keys
        cross join sweep_base
    ),

    -- each rule's decay factor at every age in the window, none from window_days on; a
    -- scaled half-life counts as no decay here (the scale does it)
    age_factors as (
        {{ factors_by_age('rule_decay', 'rule_key', scaled='is_scaled') }}
    ),

    -- the ages at which the factor changes, and by how much
    decay_steps as (
        select rule_key, age_days, step
        from (
            select
                rule_key,
                age_days,
                factor - coalesce(lag(factor) over (partition by rule_key order by age_days), 0.0) as step
            from age_factors
        ) as changes
        where step <> 0
    ),

    -- what enters or leaves each lead's running sum of a rule, and on which day; and the score
    -- points (is_asked) at which the sums are read, for every rule the lead has events of
    sweep as (
        select
            capped_days.lead_key,
            capped_days.rule_key,
            capped_days.activity_date + decay_steps.age_days as sweep_date,
            false as is_asked,
            capped_days.day_points * decay_steps.step * case
                when rule_decay.is_scaled
                    then power(2.0, (capped_days.activity_date - sweep_base.base_date) / rule_decay.half_life_days)
                else 1.0
            end as delta
        from capped_days
        inner join decay_steps on decay_steps.rule_key = capped_days.rule_key
        inner join rule_decay on rule_decay.rule_key = capped_days.rule_key
        cross join sweep_base

        union all

        select lead_rules.lead_key, lead_rules.rule_key, points_asked.score_date, true, 0.0
        from (select distinct lead_key, rule_key from capped_days) as lead_rules
        inner join points_asked on points_asked.lead_key = lead_rules.lead_key
    ),

    swept as (
        select
            lead_key,
            rule_key,
            sweep_date,
            is_asked,
            sum(delta) over (
                partition by lead_key, rule_key
                order by sweep_date
                range between unbounded preceding and current row
            ) as running_points
        from sweep
    ),

    -- a rule's cap as its events carry it, as in the direct arithmetic
    rule_caps as (
        select rule_key, max(max_points) as max_points from capped_days group by rule_key
    ),

    per_rule as (
        select
            swept.sweep_date as score_date,
            swept.lead_key,
            swept.rule_key,
            rule_caps.max_points,
            round(swept.running_points * case
                when rule_decay.is_scaled
                    then power(0.5, (swept.sweep_date - sweep_base.base_date) / rule_decay.half_life_days)
                else 1.0
            end, 9) as decayed_points
        from swept
        inner join rule_decay on rule_decay.rule_key = swept.rule_key
        inner join rule_caps on rule_caps.rule_key = swept.rule_key
        cross join sweep_base
        where swept.is_asked
    ),

    {%- else %}
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
            {{ decay_factor('rule_keys', 'aged.age_days') }} as day_decay_factor
        from aged
        inner join rule_keys on rule_keys.rule_key = aged.rule_key
    ),

    -- The totals need only the capped sum of each rule: leaner rows, so the aggregate over
    -- hundreds of millions of joined rows of a first build stays small enough to spill.
    -- decayed_sum: the exact sum a later night carries on (with the counts, see
    -- int_engagement_contributions); decayed_points rounds away its last bits, so a sum
    -- carried night after night and one computed afresh round to the same cent.
    -- From here on the rows are keyed by their text ids again: the carried rows (every lead
    -- but the few computed afresh) never needed numbers, and joining 9.4M of them to their
    -- lead's number and back took half of a night's int_engagement_contributions.
    per_rule as (
        select *, round(decayed_sum, 9) as decayed_points
        from (
            select
                sums.score_date,
                lead_keys.lead_id,
                rule_keys.rule_id,
                sums.max_points,
                sums.occurrences,
                sums.raw_points,
                sums.day_capped_points,
                sums.capped_days,
                sums.decayed_sum
            from (
                select
                    score_date,
                    lead_key,
                    rule_key,
                    max(max_points) as max_points,
                    sum(events) as occurrences,
                    sum(raw_points) as raw_points,
                    sum(day_points) as day_capped_points,
                    count(*) filter (where is_day_capped) as capped_days,
                    sum(day_points * day_decay_factor) as decayed_sum
                from decayed
                where day_decay_factor > 0
                group by score_date, lead_key, rule_key
            ) as sums
            inner join lead_keys on lead_keys.lead_key = sums.lead_key
            inner join rule_keys on rule_keys.rule_key = sums.rule_key
            {%- if carried %}

            union all

            select
                score_date,
                lead_id,
                rule_id,
                max_points,
                occurrences,
                raw_points,
                day_capped_points,
                capped_days,
                decayed_sum
            from {{ carried }}
            {%- endif %}
        ) as sums
    ),

    {%- endif %}
    {#- the history keeps its numbers to the end; the scoring day is back on text ids #}
    {%- set lead, rule, group = ('lead_key', 'rule_key', 'group_key') if totals_only else ('lead_id', 'rule_id', 'group_id') %}

    rule_rows as (
        select
            per_rule.score_date,
            per_rule.{{ lead }},
            per_rule.{{ rule }},
            rule_keys.{{ group }},
            {%- if not totals_only %}
            cast(per_rule.occurrences as bigint) as occurrences,
            cast(per_rule.raw_points as bigint) as raw_points,
            {{ points('per_rule.decayed_points') }} as decayed_points,
            -- the share of the (day-capped) points left after decay: 1 = events of the score date
            cast(round(case when per_rule.day_capped_points <> 0 then per_rule.decayed_points / per_rule.day_capped_points end, 4) as decimal(10, 4)) as decay_factor,
            per_rule.capped_days > 0 or coalesce(abs(per_rule.decayed_points) > per_rule.max_points, false) as is_capped,
            per_rule.max_points as _max_points,
            -- sums of integers are HUGEINT in DuckDB; a rule's points over the window fit a
            -- BIGINT, which is cheaper to write and read (9.5M rows at 1M leads)
            cast(per_rule.day_capped_points as bigint) as _day_capped_points,
            cast(per_rule.capped_days as bigint) as _capped_days,
            per_rule.decayed_sum as _decayed_sum,
            {%- endif %}
            {{ points('case when abs(per_rule.decayed_points) > per_rule.max_points then sign(per_rule.decayed_points) * per_rule.max_points else per_rule.decayed_points end') }} as final_points
        from per_rule
        inner join rule_keys on rule_keys.{{ rule }} = per_rule.{{ rule }}
    ),

    group_totals as (
        select
            score_date,
            {{ lead }},
            {{ group }},
            sum(final_points) as group_points
        from rule_rows
        group by score_date, {{ lead }}, {{ group }}
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
        rule_rows.lead_id,
        rule_rows.group_id,
        rule_rows.rule_id,
        rule_rows.occurrences,
        rule_rows.raw_points,
        rule_rows.decayed_points,
        rule_rows.decay_factor,
        rule_rows.is_capped,
        rule_rows.final_points,
        rule_rows._max_points,
        rule_rows._day_capped_points,
        rule_rows._capped_days,
        rule_rows._decayed_sum
    from rule_rows

    union all

    select
        group_totals.score_date,
        group_totals.lead_id,
        group_caps.group_id,
        group_caps.group_id || '_group_cap' as rule_id,
        cast(0 as bigint) as occurrences,
        cast(0 as bigint) as raw_points,
        cast(0 as decimal(18, 2)) as decayed_points,
        cast(null as decimal(10, 4)) as decay_factor,
        true as is_capped,
        cast(sign(group_totals.group_points) * group_caps.group_max_points - group_totals.group_points as decimal(18, 2)) as final_points,
        null as _max_points,
        null as _day_capped_points,
        null as _capped_days,
        null as _decayed_sum
    from group_totals
    inner join group_caps on group_caps.group_id = group_totals.group_id
    where abs(group_totals.group_points) > group_caps.group_max_points
    {%- endif %}
)
{%- endmacro %}

{#- What a day of a lead's scored events of one rule adds up to (grouped by the caller). -#}
{% macro day_sums(scored) -%}
    count(*) as events,
    sum({{ scored }}.points) as raw_points,
    max({{ scored }}.max_points) as max_points,
    max({{ scored }}.max_points_per_day) as max_points_per_day
{%- endmacro %}

{#- The rows of `event_days` (a day's raw_points of a lead and rule, and the rule's
    max_points_per_day) with the day's points after the rule's daily cap, either sign. -#}
{% macro with_day_cap(event_days) -%}
    select
        {{ event_days }}.*,
        coalesce(abs(raw_points) > max_points_per_day, false) as is_day_capped,
        case
            when abs(raw_points) > max_points_per_day then sign(raw_points) * max_points_per_day
            else raw_points
        end as day_points
    from {{ event_days }}
{%- endmacro %}

{#- Each rule of `decay` (keyed by `key`, with the decay columns of decay_factor) with its
    factor at every age from 0 to window_days (of a `settings` relation in scope), none from
    window_days on. `scaled`: a column true where a half-life is scaled elsewhere (factor 1
    here). -#}
{% macro factors_by_age(decay, key, scaled=none) -%}
    select
        {{ decay }}.{{ key }},
        ages.age_days,
        case
            when ages.age_days >= settings.window_days then 0.0
            {%- if scaled %}
            when {{ decay }}.{{ scaled }} then 1.0
            {%- endif %}
            else {{ decay_factor(decay, 'ages.age_days') }}
        end as factor
    from {{ decay }}
    cross join settings
    cross join (
        select cast(age_days as integer) as age_days
        from generate_series(0, (select window_days from settings)) as ages (age_days)
    ) as ages
{%- endmacro %}

{#- The share of a day's points left at `age_days` days old, by the decay of the rule's group
    (`decay`: a relation with decay_kind, half_life_days, decay_percent, decay_every_days and
    decay_window_days). -#}
{% macro decay_factor(decay, age_days) -%}
    case {{ decay }}.decay_kind
        when 'half_life' then power(0.5, {{ age_days }} / {{ decay }}.half_life_days)
        when 'linear' then greatest(
            0.0,
            1.0 - {{ decay }}.decay_percent / 100.0 * floor({{ age_days }} / {{ decay }}.decay_every_days)
        )
        when 'window' then case when {{ age_days }} < {{ decay }}.decay_window_days then 1.0 else 0.0 end
        else 1.0
    end
{%- endmacro %}

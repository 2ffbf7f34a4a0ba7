{#- Post-hook of fct_lead_scores_daily: scores the days before the scoring day that have no
    scores yet, back to history_days (all of them on a first build or --full-refresh, the
    nights skipped afterwards, none on an ordinary night), at the days something reads back:
    the event days of the leads that can qualify by score and every lead's calibration
    decision day.
    The leads are taken score_history_leads_per_statement at a time (in lead_id order), one
    INSERT each: the history joins every score point with the lead's rule-days of the
    engagement window (635M rows for the first build at 1M leads), and one statement for all
    leads ran DuckDB out of its memory limit. -#}
{% macro fill_score_history() -%}
    {%- if execute -%}
        {%- do run_query(
            "create or replace temporary table score_days_to_fill as "
            ~ score_history_days_missing()
        ) -%}
        {%- set days_missing = run_query("select count(*) from score_days_to_fill").columns[0].values()[0] -%}
        {%- if days_missing > 0 -%}
            {%- set per_statement = var('score_history_leads_per_statement') | int -%}
            {%- if per_statement < 1 -%}
                {{ exceptions.raise_compiler_error("var score_history_leads_per_statement must be at least 1") }}
            {%- endif -%}
            {#- the points are found once for all leads; the engagement, per batch of leads -#}
            {%- do run_query(
                "create or replace temporary table score_history_points as "
                ~ score_history_points()
            ) -%}
            {%- set lead_count = run_query("select coalesce(max(lead_number), 0) from score_history_points").columns[0].values()[0] -%}
            {%- set columns = get_quoted_csv(adapter.get_columns_in_relation(this) | map(attribute='name')) -%}
            {%- for batch in range((lead_count + per_statement - 1) // per_statement) %}
insert into {{ this }} ({{ columns }})
select {{ columns }} from {{ score_history_batch(batch * per_statement, (batch + 1) * per_statement) }} as history;
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {#- a statement for dbt to run when there is nothing to fill -#}
    select 1
{%- endmacro %}

{#- The days from history_days back to the day before the scoring day with no scores at all. -#}
{% macro score_history_days_missing() -%}
    select score_date
    from (
        select cast(date_day as date) as score_date
        from ({{ dbt.date_spine('day', history_start_date(), as_of_date()) }}) as spine
    ) as days
    where score_date not in (select distinct score_date from {{ this }})
{%- endmacro %}

{#- The (lead_id, score_date) pairs of the history on score_days_to_fill, with each lead's
    number in lead_id order (lead_number), for batches. -#}
{% macro score_history_points() -%}
    with leads as (
        select lead_id, cast(created_at as date) as created_date
        from {{ ref('stg_crm__leads') }}
    ),

    fit as (
        {{ lead_fit_scores() }}
    ),

    -- Leads that can become MQLs by score: not disqualified, and a fit grade within the MQL
    -- bar of rules/lifecycle.yml (both judged on the lead's CRM record as it is now). Only
    -- their event days are read back, by the lifecycle; the others' would cost half the
    -- history for nothing.
    leads_that_can_qualify as (
        select leads.lead_id
        from leads
        left join fit on fit.lead_id = leads.lead_id
        inner join {{ source('rules', 'fit_grades') }} as grades
            on grades.min_score is null or coalesce(fit.fit_score, 0) >= grades.min_score
        cross join {{ source('rules', 'lifecycle_thresholds') }} as thresholds
        where leads.lead_id not in (select lead_id from {{ ref('int_leads_disqualified') }})
        group by leads.lead_id, thresholds.mql_max_fit_grade_rank
        having min(grades.grade_rank) <= thresholds.mql_max_fit_grade_rank
    ),

    earlier_points as (
        select distinct scored.lead_id, scored.activity_date as score_date
        from {{ ref('int_activities_scored') }} as scored
        inner join leads_that_can_qualify on leads_that_can_qualify.lead_id = scored.lead_id
        where scored.activity_date >= {{ history_start_date() }}

        union

        select leads.lead_id, cast({{ dbt.dateadd('day', 'settings.decision_age_days', 'leads.created_date') }} as date)
        from leads
        cross join {{ source('rules', 'calibration_settings') }} as settings
    ),

    history_points as (
        select distinct earlier_points.lead_id, earlier_points.score_date
        from earlier_points
        inner join score_days_to_fill on score_days_to_fill.score_date = earlier_points.score_date
        inner join leads on leads.lead_id = earlier_points.lead_id
        where leads.created_date <= earlier_points.score_date
    )

    select lead_id, score_date, dense_rank() over (order by lead_id) as lead_number
    from history_points
{%- endmacro %}

{#- The history rows of the leads numbered (first, last]. -#}
{% macro score_history_batch(first, last) -%}
(
    with history_points as (
        select lead_id, score_date
        from score_history_points
        where lead_number > {{ first }} and lead_number <= {{ last }}
    ),

    engagement as (
        select score_date, lead_id, engagement_points
        from {{ engagement_contributions('history_points', totals_only=true) }} as contributions
    )

    select *, {{ run_stamp() }} as _scored_at
    from {{ lead_scores('history_points', 'engagement') }} as scores
)
{%- endmacro %}

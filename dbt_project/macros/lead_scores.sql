{#- The rows of fct_lead_scores_daily for the (lead_id, score_date) pairs of `score_points`,
    with their engagement points from `engagement` (score_date, lead_id, engagement_points):
    fit score, engagement score within the floor and ceiling, total, fit grade, engagement
    tier, disqualification and rules version. Shared by the scoring day (the model) and the
    days before it (the history, macros/score_history.sql). -#}
{% macro lead_scores(score_points, engagement) -%}
(
    with fit as (
        {{ lead_fit_scores() }}
    ),

    settings as (
        select * from {{ source('rules', 'engagement_settings') }}
    ),

    scores as (
        select
            points_asked.score_date,
            points_asked.lead_id,
            {{ points('coalesce(fit.fit_score, 0)') }} as fit_score,
            {{ points('coalesce(engagement.engagement_points, 0)') }} as engagement_points,
            settings.score_floor,
            settings.score_ceiling
        from {{ score_points }} as points_asked
        cross join settings
        left join {{ engagement }} as engagement
            on engagement.lead_id = points_asked.lead_id
            and engagement.score_date = points_asked.score_date
        left join fit on fit.lead_id = points_asked.lead_id
    ),

    limited as (
        select
            score_date,
            lead_id,
            fit_score,
            engagement_points,
            {{ points('case
                when engagement_points < score_floor then score_floor
                when engagement_points > score_ceiling then score_ceiling
                else engagement_points
            end') }} as engagement_score
        from scores
    ),

    -- the first fit grade and engagement tier (from the top) the scores reach; the bands end
    -- open (rules/README.md), so every score has both. Found apart: pairing every grade with
    -- every tier and ranking the pairs cost seconds per million score points.
    banded as (
        select
            limited.*,
            (
                select min(grades.grade_rank)
                from {{ source('rules', 'fit_grades') }} as grades
                where grades.min_score is null or limited.fit_score >= grades.min_score
            ) as fit_grade_rank,
            (
                select min(tiers.tier)
                from {{ source('rules', 'engagement_tiers') }} as tiers
                where tiers.min_score is null or limited.engagement_score >= tiers.min_score
            ) as engagement_tier
        from limited
    ),

    graded as (
        select banded.*, grades.grade as fit_grade
        from banded
        inner join {{ source('rules', 'fit_grades') }} as grades
            on grades.grade_rank = banded.fit_grade_rank
    )

    select
        graded.lead_id,
        graded.score_date,
        graded.fit_score,
        graded.engagement_score,
        cast(graded.fit_score + graded.engagement_score as decimal(18, 2)) as total_score,
        -- engagement points before the floor and ceiling: the difference is explained as its own
        -- contribution in fct_score_contributions
        graded.engagement_points,
        graded.fit_grade,
        graded.fit_grade_rank,
        graded.engagement_tier,
        disqualified.disqualification_reason,
        version.rules_version
    from graded
    cross join {{ source('rules', 'rules_version') }} as version
    left join {{ ref('int_leads_disqualified') }} as disqualified
        on disqualified.lead_id = graded.lead_id
)
{%- endmacro %}

{#- Each lead's fit score: the sum of its fit points (int_fit_contributions). -#}
{% macro lead_fit_scores() -%}
    select entity_id as lead_id, sum(fit_points) as fit_score
    from {{ ref('int_fit_contributions') }}
    where entity_kind = 'lead'
    group by entity_id
{%- endmacro %}

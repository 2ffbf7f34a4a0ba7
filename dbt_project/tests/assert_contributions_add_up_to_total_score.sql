-- "Why this score" must be the whole truth: for every lead, the final points of its
-- contributions (fit, engagement and the engagement floor/ceiling) add up exactly to its
-- total score. Returns the leads where they do not.
select
    scores.lead_id,
    scores.total_score,
    coalesce(contributions.explained_points, 0) as explained_points
from {{ ref('fct_lead_scores') }} as scores
left join (
    select lead_id, sum(final_points) as explained_points
    from {{ ref('fct_score_contributions') }}
    group by lead_id
) as contributions on contributions.lead_id = scores.lead_id
where coalesce(contributions.explained_points, 0) <> scores.total_score

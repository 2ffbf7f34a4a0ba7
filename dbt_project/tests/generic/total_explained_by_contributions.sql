{#- "Why this score" must be the whole truth: for every lead, the final points of its
    contributions (fit, engagement, group caps and the engagement floor/ceiling) add up exactly
    to its total score. Fails for every lead where they do not. -#}
{% test total_explained_by_contributions(model, contributions) %}
select
    scores.lead_id,
    scores.total_score,
    coalesce(explained.explained_points, 0) as explained_points
from {{ model }} as scores
left join (
    select lead_id, sum(final_points) as explained_points
    from {{ contributions }}
    group by lead_id
) as explained on explained.lead_id = scores.lead_id
where coalesce(explained.explained_points, 0) <> scores.total_score
{% endtest %}

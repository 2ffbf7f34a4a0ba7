-- What the shadow model learns from, one row per judged lead and feature, as it stood at the
-- decision time: how many activities of each type the lead had done by then (nothing later),
-- and which fit case each of its CRM fields matched (fields as the CRM holds them now).
with judged as (
    select lead_id, cast(decision_date + to_days(1) as timestamp) as decided_at
    from {{ ref('fct_calibration_leads') }}
    where outcome_status in ('converted', 'not_converted')
),

activity_counts as (
    select
        judged.lead_id,
        'activity:' || activities.activity_type as feature,
        count(*) as feature_value
    from judged
    inner join {{ ref('int_activities_matched_to_leads') }} as activities
        on activities.lead_id = judged.lead_id
        and activities.occurred_at < judged.decided_at
    group by judged.lead_id, activities.activity_type
),

fit_cases as (
    select judged.lead_id, 'fit:' || fit.rule_id as feature, 1 as feature_value
    from judged
    inner join {{ ref('int_fit_contributions') }} as fit
        on fit.entity_kind = 'lead' and fit.entity_id = judged.lead_id
)

select lead_id, feature, cast(feature_value as double) as feature_value from activity_counts
union all
select lead_id, feature, cast(feature_value as double) as feature_value from fit_cases

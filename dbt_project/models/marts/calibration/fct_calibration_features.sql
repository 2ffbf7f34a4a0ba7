-- What the shadow model learns from, one row per judged lead and feature, as it stood at the
-- decision time: how many activities of each type the lead had done by then (nothing later:
-- int_calibration_activity_counts, kept from night to night), and which fit case each of its
-- CRM fields matched (fields as the CRM holds them now). A view: nothing here is worth
-- writing again every night.
{{ config(materialized='view') }}
with judged as (
    select lead_id
    from {{ ref('fct_calibration_leads') }}
    where {{ is_judged() }}
),

activity_counts as (
    select lead_id, feature, feature_value
    from {{ ref('int_calibration_activity_counts') }}
    where feature is not null
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

-- Conversion by score band, for BI tools and the calibration report: the configured bands of
-- rules/calibration.yml and score deciles (decile 10 = the highest scores), with lift (how many
-- times the average conversion rate a band converts at) and the cumulative share of all
-- conversions captured from the top band down (the lift / gains curve).
with leads as (
    select * from {{ ref('fct_calibration_leads') }}
    where {{ is_judged() }}
),

bands as (
    select * from {{ source('rules', 'calibration_bands') }}
),

banded as (
    select
        leads.lead_id,
        leads.total_score,
        leads.outcome_status = 'converted' as converted,
        leads.days_to_convert,
        bands.band,
        bands.band_order,
        row_number() over (partition by leads.lead_id order by bands.band_order) as band_rank
    from leads
    inner join bands on bands.min_score is null or leads.total_score >= bands.min_score
),

configured as (
    select 'band' as band_kind, band, band_order, total_score, converted, days_to_convert
    from banded
    where band_rank = 1
),

-- ties broken by lead id so that a decile is the same set of leads on every run
deciles as (
    select
        'decile' as band_kind,
        cast(decile as varchar) as band,
        11 - decile as band_order,
        total_score,
        outcome_status = 'converted' as converted,
        days_to_convert
    from (
        select *, ntile(10) over (order by total_score, lead_id) as decile from leads
    ) as ranked
),

per_band as (
    select
        band_kind,
        band,
        band_order,
        min(total_score) as min_score,
        max(total_score) as max_score,
        count(*) as leads,
        count(*) filter (where converted) as converted,
        median(days_to_convert) as median_days_to_convert
    from (select * from configured union all select * from deciles) as all_bands
    group by band_kind, band, band_order
    union all
    -- a configured band no lead fell into is shown with 0 leads: that is news too
    select 'band', bands.band, bands.band_order, null, null, 0, 0, null
    from bands
    where bands.band not in (select band from configured)
),

overall as (
    select count(*) as leads, count(*) filter (where outcome_status = 'converted') as converted
    from leads
)

select
    per_band.band_kind,
    per_band.band,
    per_band.band_order,
    per_band.min_score,
    per_band.max_score,
    per_band.leads,
    per_band.converted,
    case when per_band.leads > 0 then per_band.converted / per_band.leads end as conversion_rate,
    case when overall.converted > 0 and per_band.leads > 0
        then (per_band.converted / per_band.leads) / (overall.converted / overall.leads)
    end as lift,
    sum(per_band.leads) over top_down / overall.leads as cumulative_share_of_leads,
    case when overall.converted > 0
        then sum(per_band.converted) over top_down / overall.converted
    end as cumulative_share_of_conversions,
    per_band.median_days_to_convert
from per_band
cross join overall
window top_down as (
    partition by per_band.band_kind order by per_band.band_order
    rows between unbounded preceding and current row
)

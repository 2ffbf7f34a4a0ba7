-- Every SLA clock: one per SQL, started when the lead became an SQL and stopped by the owner's
-- first completed sales touch (call, e-mail, meeting) or by an opportunity being opened.
-- Time counts in business hours of the owner's calendar (rules/sla.yml).
with lifecycle as (
    select * from {{ ref('fct_lead_lifecycle') }}
    where sql_at is not null
),

settings as (
    select * from {{ source('rules', 'sla_settings') }}
),

windows as (
    select * from {{ source('rules', 'sla_windows') }}
),

calendar as (
    select * from {{ source('rules', 'business_calendar') }}
),

users as (
    select * from {{ ref('stg_crm__users') }}
),

touches as (
    select tasks.lead_id, tasks.owner_id, tasks.task_type, tasks.occurred_at
    from {{ ref('stg_crm__tasks') }} as tasks
    inner join {{ source('rules', 'sla_touch_types') }} as touch_types
        on touch_types.task_type = tasks.task_type
    where tasks.task_status = 'completed'
),

first_touches as (
    select
        lifecycle.lead_id,
        min(touches.occurred_at) as first_task_at
    from lifecycle
    inner join touches
        on touches.lead_id = lifecycle.lead_id
        and touches.occurred_at >= lifecycle.sql_at
        -- the owner's touch counts; for a lead nobody owns, anyone's does
        and (lifecycle.owner_id is null or touches.owner_id = lifecycle.owner_id)
    group by lifecycle.lead_id
),

clocks as (
    select
        lifecycle.lead_id,
        'sql' as transition,
        case when lifecycle.sql_reason like 'hand_raise%' then 'hand_raise' else 'score' end as segment,
        lifecycle.owner_id,
        lifecycle.current_stage,
        lifecycle.sql_at as started_at,
        case
            when settings.use_owner_time_zone
                and users.time_zone in (select distinct time_zone from calendar)
                then users.time_zone
            else settings.default_time_zone
        end as time_zone,
        case
            when lifecycle.opportunity_at >= lifecycle.sql_at
                and (first_touches.first_task_at is null or lifecycle.opportunity_at < first_touches.first_task_at)
                then lifecycle.opportunity_at
            else first_touches.first_task_at
        end as first_touch_at,
        case
            when lifecycle.opportunity_at >= lifecycle.sql_at
                and (first_touches.first_task_at is null or lifecycle.opportunity_at < first_touches.first_task_at)
                then 'opportunity_created'
            when first_touches.first_task_at is not null then 'sales_task'
        end as first_touch_source
    from lifecycle
    cross join settings
    left join users on users.user_id = lifecycle.owner_id
    left join first_touches on first_touches.lead_id = lifecycle.lead_id
),

measured as (
    select
        clocks.*,
        windows.window_seconds,
        windows.at_risk_fraction,
        windows.escalate_multiple,
        coalesce(clocks.first_touch_at, {{ as_of_end() }}) as measured_until,
        {{ business_seconds_at('start_day', 'clocks.started_at') }} as business_seconds_at_start,
        {{ business_seconds_at('end_day', 'coalesce(clocks.first_touch_at, ' ~ as_of_end() ~ ')') }} as business_seconds_at_end
    from clocks
    inner join windows on windows.segment = clocks.segment
    inner join calendar as start_day
        on {{ calendar_day_containing('start_day', 'clocks.time_zone', 'clocks.started_at') }}
    inner join calendar as end_day
        on {{ calendar_day_containing('end_day', 'clocks.time_zone', 'coalesce(clocks.first_touch_at, ' ~ as_of_end() ~ ')') }}
),

-- The due time is where the business seconds since the start reach the window: the calendar
-- day whose business interval contains that cumulative count.
with_due as (
    select
        measured.*,
        {{ dbt.dateadd(
            'second',
            'measured.business_seconds_at_start + measured.window_seconds - due_day.business_seconds_before',
            'due_day.opens_at'
        ) }} as due_at
    from measured
    left join calendar as due_day
        on due_day.time_zone = measured.time_zone
        and due_day.business_seconds > 0
        and due_day.business_seconds_before < measured.business_seconds_at_start + measured.window_seconds
        and measured.business_seconds_at_start + measured.window_seconds
            <= due_day.business_seconds_before + due_day.business_seconds
)

select
    lead_id,
    transition,
    segment,
    owner_id,
    current_stage,
    time_zone,
    started_at,
    due_at,
    first_touch_at,
    first_touch_source,
    cast(window_seconds / 3600.0 as decimal(10, 2)) as window_business_hours,
    cast((business_seconds_at_end - business_seconds_at_start) / 3600.0 as decimal(10, 2)) as business_hours_elapsed,
    cast(greatest(business_seconds_at_end - business_seconds_at_start - window_seconds, 0) / 3600.0 as decimal(10, 2)) as business_hours_overdue,
    first_touch_at is null as is_open,
    case
        when first_touch_at is not null and business_seconds_at_end - business_seconds_at_start <= window_seconds then 'met'
        when first_touch_at is not null then 'missed'
        -- an SQL that left the SQL stage without a touch (disqualified, handed back) needs none
        when current_stage <> 'sql' then 'closed_without_touch'
        when business_seconds_at_end - business_seconds_at_start >= window_seconds * escalate_multiple then 'escalated'
        when business_seconds_at_end - business_seconds_at_start > window_seconds then 'breached'
        when business_seconds_at_end - business_seconds_at_start >= window_seconds * at_risk_fraction then 'at_risk'
        else 'on_track'
    end as sla_status,
    {{ as_of_date() }} as as_of_date
from with_due

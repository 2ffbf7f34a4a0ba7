-- Every SLA clock, open and closed: one per stage change into MQL (sales accepts or rejects
-- the lead) and into SQL (sales follows it up), started at the change and stopped by the
-- first sales touch: a completed call, e-mail or meeting by the owner (anyone's when nobody
-- owns the lead), a CRM status change, or an opportunity being opened. Time counts in
-- business hours of the owner's calendar (rules/sla.yml). A clock whose lead leaves the stage
-- untouched (recycled, disqualified; an MQL that became an SQL) closes without a verdict.
with changes as (
    select * from {{ ref('fct_lifecycle_stage_changes') }}
),

-- the owner from the CRM and the current stage from the last change (the one not yet left),
-- not from fct_lead_lifecycle: the clocks are built beside the lead lifecycle, not after it
-- and its tests (at 1M leads they were the last ~4 s of a night)
owners as (
    select lead_id, owner_id from {{ ref('stg_crm__leads') }}
),

current_stages as (
    select lead_id, to_stage as current_stage
    from changes
    where valid_until is null
),

settings as (
    select * from {{ source('rules', 'sla_settings') }}
),

calendar as (
    select * from {{ source('rules', 'business_calendar') }}
),

calendar_days as (
    {{ calendar_by_utc_date("calendar") }}
),

business_days as (
    {{ business_days_by_block("calendar") }}
),

users as (
    select * from {{ ref('stg_crm__users') }}
),

clocks as (
    select
        changes.lead_id,
        changes.to_stage as transition,
        case
            when changes.to_stage = 'sql' then {{ dbt.split_part('changes.reason', "':'", 1) }}
            else 'score'
        end as segment,
        changes.changed_at as started_at,
        changes.valid_until as stage_left_at,
        next_change.to_stage as next_stage,
        owners.owner_id,
        current_stages.current_stage
    from changes
    inner join owners on owners.lead_id = changes.lead_id
    inner join current_stages on current_stages.lead_id = changes.lead_id
    -- the change that ended the stage: looked up for the clocks only, not numbered again for
    -- every change with a window (3M changes at 1M leads)
    left join changes as next_change
        on next_change.lead_id = changes.lead_id
        and next_change.change_number = changes.change_number + 1
    -- a fast-tracked MQL is an SQL at the same moment: the SQL clock covers it
    where changes.to_stage = 'sql'
       or (changes.to_stage = 'mql' and changes.reason <> 'fast_track')
),

-- the window of the clock's own segment, else the transition's `any` window
windowed as (
    select *
    from (
        select
            clocks.*,
            windows.window_seconds,
            windows.at_risk_fraction,
            windows.escalate_multiple,
            row_number() over (
                partition by clocks.lead_id, clocks.transition, clocks.started_at
                order by case when windows.segment = clocks.segment then 0 else 1 end
            ) as window_rank
        from clocks
        inner join {{ source('rules', 'sla_windows') }} as windows
            on windows.transition = clocks.transition
            and windows.segment in (clocks.segment, 'any')
    ) as ranked
    where window_rank = 1
),

touches as (
    select windowed.lead_id, windowed.transition, windowed.started_at, tasks.occurred_at as touched_at, 'sales_task' as touch_source
    from windowed
    inner join {{ ref('stg_crm__tasks') }} as tasks
        on tasks.lead_id = windowed.lead_id
        and tasks.occurred_at >= windowed.started_at
        and tasks.task_status = 'completed'
        and (windowed.owner_id is null or tasks.owner_id = windowed.owner_id)
    inner join {{ source('rules', 'sla_touch_types') }} as touch_types
        on touch_types.task_type = tasks.task_type

    union all

    select windowed.lead_id, windowed.transition, windowed.started_at, history.changed_at, 'crm_status_change'
    from windowed
    inner join {{ ref('stg_crm__lead_status_history') }} as history
        on history.lead_id = windowed.lead_id
        and history.changed_at > windowed.started_at
        and history.previous_status is not null

    union all

    select windowed.lead_id, windowed.transition, windowed.started_at, opportunities.created_at, 'opportunity_created'
    from windowed
    inner join {{ ref('stg_crm__opportunities') }} as opportunities
        on opportunities.lead_id = windowed.lead_id
        and opportunities.created_at >= windowed.started_at
),

first_touches as (
    select lead_id, transition, started_at, touched_at as first_touch_at, touch_source as first_touch_source
    from (
        select
            *,
            row_number() over (
                partition by lead_id, transition, started_at order by touched_at, touch_source
            ) as touch_rank
        from touches
    ) as ranked
    where touch_rank = 1
),

resolved as (
    select
        windowed.*,
        case
            when settings.use_owner_time_zone
                and users.time_zone in (select distinct time_zone from calendar)
                then users.time_zone
            else settings.default_time_zone
        end as time_zone,
        case
            when first_touches.first_touch_at <= coalesce(windowed.stage_left_at, first_touches.first_touch_at)
                then first_touches.first_touch_at
        end as first_touch_at,
        case
            when first_touches.first_touch_at <= coalesce(windowed.stage_left_at, first_touches.first_touch_at)
                then first_touches.first_touch_source
        end as first_touch_source
    from windowed
    cross join settings
    left join users on users.user_id = windowed.owner_id
    left join first_touches
        on first_touches.lead_id = windowed.lead_id
        and first_touches.transition = windowed.transition
        and first_touches.started_at = windowed.started_at
),

measured as (
    select
        resolved.*,
        coalesce(resolved.first_touch_at, resolved.stage_left_at, {{ as_of_end() }}) as measured_until,
        {{ business_seconds_at('start_day', 'resolved.started_at') }} as business_seconds_at_start,
        {{ business_seconds_at('end_day', 'coalesce(resolved.first_touch_at, resolved.stage_left_at, ' ~ as_of_end() ~ ')') }} as business_seconds_at_end
    from resolved
    inner join calendar_days as start_day
        on {{ calendar_day_containing('start_day', 'resolved.time_zone', 'resolved.started_at') }}
    inner join calendar_days as end_day
        on {{ calendar_day_containing('end_day', 'resolved.time_zone', 'coalesce(resolved.first_touch_at, resolved.stage_left_at, ' ~ as_of_end() ~ ')') }}
),

-- The due time is where the business seconds since the start reach the window: the calendar
-- day whose business interval contains that cumulative count.
with_due as (
    select
        measured.*,
        measured.business_seconds_at_end - measured.business_seconds_at_start as elapsed_seconds,
        {{ dbt.dateadd(
            'second',
            'measured.business_seconds_at_start + measured.window_seconds - due_day.business_seconds_before',
            'due_day.opens_at'
        ) }} as due_at
    from measured
    left join business_days as due_day
        on due_day.time_zone = measured.time_zone
        and due_day.seconds_block
            = {{ business_seconds_block('measured.business_seconds_at_start + measured.window_seconds') }}
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
    stage_left_at,
    cast(window_seconds / 3600.0 as decimal(10, 2)) as window_business_hours,
    cast(elapsed_seconds / 3600.0 as decimal(10, 2)) as business_hours_elapsed,
    cast(greatest(elapsed_seconds - window_seconds, 0) / 3600.0 as decimal(10, 2)) as business_hours_overdue,
    first_touch_at is null and stage_left_at is null as is_open,
    case
        when first_touch_at is not null and elapsed_seconds <= window_seconds then 'met'
        when first_touch_at is not null then 'missed'
        when stage_left_at is not null and transition = 'mql' and next_stage = 'sql' then 'advanced'
        when stage_left_at is not null then 'closed_without_touch'
        when elapsed_seconds >= window_seconds * escalate_multiple then 'escalated'
        when elapsed_seconds > window_seconds then 'breached'
        when elapsed_seconds >= window_seconds * at_risk_fraction then 'at_risk'
        else 'on_track'
    end as sla_status,
    {{ as_of_date() }} as as_of_date
from with_due

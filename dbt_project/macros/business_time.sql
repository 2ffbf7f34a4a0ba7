{#- Business-hours arithmetic over rules.business_calendar, which has one row per local day
    and time zone with `business_seconds_before` = business seconds from the calendar start to
    the start of that day. Business time between two instants is B(end) - B(start). -#}

{#- The calendar once per UTC date each local day overlaps (at most three: a day lasts 23 to
    25 hours), so that joins find an instant's day by (time zone, UTC date), a hash key,
    among at most three candidates instead of testing every day of the time zone. -#}
{% macro calendar_by_utc_date(calendar) -%}
    select
        calendar.*,
        cast({{ dbt.dateadd('day', 'offsets.day_offset', 'cast(calendar.day_starts_at as date)') }} as date) as utc_date
    from {{ calendar }} as calendar
    cross join (select 0 as day_offset union all select 1 union all select 2) as offsets
    where cast({{ dbt.dateadd('day', 'offsets.day_offset', 'cast(calendar.day_starts_at as date)') }} as date)
        <= cast(calendar.day_ends_at as date)
{%- endmacro %}

{#- Join condition: the day (alias `day_alias`, of calendar_by_utc_date) that contains instant
    `ts`. -#}
{% macro calendar_day_containing(day_alias, time_zone, ts) -%}
    {{ day_alias }}.time_zone = {{ time_zone }}
    and {{ day_alias }}.utc_date = cast({{ ts }} as date)
    and {{ day_alias }}.day_starts_at <= {{ ts }}
    and {{ ts }} < {{ day_alias }}.day_ends_at
{%- endmacro %}

{#- The business days of the calendar once per block of 86,400 business seconds their
    interval (business_seconds_before, business_seconds_before + business_seconds] touches
    (at most two), so that joins find the day where a count of business seconds falls by
    (time zone, block), a hash key. -#}
{% macro business_days_by_block(calendar) -%}
    select calendar.*, {{ business_seconds_block('calendar.business_seconds_before') }} + offsets.block_offset as seconds_block
    from {{ calendar }} as calendar
    cross join (select 0 as block_offset union all select 1) as offsets
    where calendar.business_seconds > 0
      and {{ business_seconds_block('calendar.business_seconds_before') }} + offsets.block_offset
          <= {{ business_seconds_block('calendar.business_seconds_before + calendar.business_seconds') }}
{%- endmacro %}

{% macro business_seconds_block(seconds) -%}
    cast(floor(({{ seconds }}) / 86400.0) as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- B(ts): business seconds from the calendar start up to `ts`, given its calendar day. -#}
{% macro business_seconds_at(day_alias, ts) -%}
    ({{ day_alias }}.business_seconds_before + case
        when {{ day_alias }}.opens_at is null then 0
        when {{ ts }} <= {{ day_alias }}.opens_at then 0
        when {{ ts }} >= {{ day_alias }}.closes_at then {{ day_alias }}.business_seconds
        else {{ dbt.datediff(day_alias ~ '.opens_at', ts, 'second') }}
    end)
{%- endmacro %}

{#- Business-hours arithmetic over rules.business_calendar, which has one row per local day
    and time zone with `business_seconds_before` = business seconds from the calendar start to
    the start of that day. Business time between two instants is B(end) - B(start). -#}

{#- Join condition: the calendar day (alias `day_alias`) that contains instant `ts`. -#}
{% macro calendar_day_containing(day_alias, time_zone, ts) -%}
    {{ day_alias }}.time_zone = {{ time_zone }}
    and {{ day_alias }}.day_starts_at <= {{ ts }}
    and {{ ts }} < {{ day_alias }}.day_ends_at
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

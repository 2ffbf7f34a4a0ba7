{#- The score dates a daily model computes in this run: on a first build (or --full-refresh)
    the whole history window; afterwards only the days since the model's last day, plus the
    scoring day itself, so a re-run or backfill of a night recomputes exactly that night. -#}
{% macro score_dates_to_compute() -%}
    select score_date
    from (
        select cast(date_day as date) as score_date
        from ({{ dbt.date_spine('day', history_start_date(), dbt.dateadd('day', 1, as_of_date())) }}) as spine
    ) as days
    {% if is_incremental() %}
    where score_date = {{ as_of_date() }}
       or score_date > (select coalesce(max(score_date), cast('1900-01-01' as date)) from {{ this }})
    {% endif %}
{%- endmacro %}

{#- Points as exact decimals, so a lead's contributions add up to its score to the cent. -#}
{% macro points(expression) -%}
    cast(round({{ expression }}, 2) as decimal(18, 2))
{%- endmacro %}

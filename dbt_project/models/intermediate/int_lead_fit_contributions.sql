-- Fit points per lead and field: the first case of rules/scoring.yml `fit.fields` that matches
-- the field's value. An empty value scores the field's `missing` points and a value no case
-- matches its `otherwise` points, so every lead has exactly one row per fit field.
with leads as (
    select * from {{ ref('int_leads_enriched') }}
),

lead_values as (
    {% set text_fields = ['title', 'industry', 'country', 'lead_source', 'email_domain'] %}
    {% set number_fields = ['employees', 'annual_revenue'] %}
    {% for field in text_fields %}
    select
        lead_id,
        '{{ field }}' as field,
        lower(trim({{ field }})) as text_value,
        cast(null as double) as number_value
    from leads
    union all
    {% endfor %}
    {% for field in number_fields %}
    select
        lead_id,
        '{{ field }}' as field,
        cast(null as {{ dbt.type_string() }}) as text_value,
        cast({{ field }} as double) as number_value
    from leads
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

rules as (
    select * from {{ source('rules', 'fit_rules') }}
),

pattern_hits as (
    select distinct
        lead_values.lead_id,
        patterns.rule_id
    from lead_values
    inner join {{ source('rules', 'rule_patterns') }} as patterns
        on patterns.attribute = lead_values.field
        and lead_values.text_value like patterns.like_pattern escape '\'
),

matches as (
    select
        lead_values.lead_id,
        rules.field,
        rules.rule_id,
        rules.case_order,
        rules.points,
        coalesce(lead_values.text_value, cast(lead_values.number_value as {{ dbt.type_string() }})) as field_value
    from lead_values
    inner join rules on rules.field = lead_values.field
    left join pattern_hits
        on pattern_hits.lead_id = lead_values.lead_id
        and pattern_hits.rule_id = rules.rule_id
    where case rules.operator
        when 'missing' then lead_values.text_value is null and lead_values.number_value is null
        when 'otherwise' then lead_values.text_value is not null or lead_values.number_value is not null
        when 'between' then lead_values.number_value >= coalesce(rules.min_value, lead_values.number_value)
            and lead_values.number_value <= coalesce(rules.max_value, lead_values.number_value)
        else pattern_hits.rule_id is not null
    end
),

ranked as (
    select
        *,
        row_number() over (partition by lead_id, field order by case_order) as match_rank
    from matches
)

select
    lead_id,
    field,
    rule_id,
    field_value,
    {{ points('points') }} as fit_points
from ranked
where match_rank = 1

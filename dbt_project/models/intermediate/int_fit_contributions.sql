-- Fit points per lead (and per account, on the fields an account has) and field: the first
-- case of rules/scoring.yml `fit.fields` that matches the field's value. An empty value scores
-- the field's `missing` points and a value no case matches its `otherwise` points, so every
-- lead has exactly one row per fit field.
-- A table: the scores, the score history (once per batch), the account roll-up, the
-- explanations and calibration all read it; as a view it was recomputed by each.
{{ config(materialized='table') }}
{% set lead_text_fields = ['title', 'industry', 'country', 'lead_source', 'email_domain'] %}
{% set account_text_fields = ['industry', 'country'] %}
{% set number_fields = ['employees', 'annual_revenue'] %}
with leads as (
    select * from {{ ref('int_leads_enriched') }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

entity_values as (
    {% for entity, relation, key, text_fields in [
        ('lead', 'leads', 'lead_id', lead_text_fields),
        ('account', 'accounts', 'account_id', account_text_fields),
    ] %}
    {% for field in text_fields %}
    select
        '{{ entity }}' as entity_kind,
        {{ key }} as entity_id,
        '{{ field }}' as field,
        lower(trim({{ field }})) as text_value,
        cast(null as double) as number_value
    from {{ relation }}
    union all
    {% endfor %}
    {% for field in number_fields %}
    select
        '{{ entity }}' as entity_kind,
        {{ key }} as entity_id,
        '{{ field }}' as field,
        cast(null as {{ dbt.type_string() }}) as text_value,
        cast({{ field }} as double) as number_value
    from {{ relation }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

rules as (
    select * from {{ source('rules', 'fit_rules') }}
),

pattern_hits as (
    select distinct
        entity_values.entity_kind,
        entity_values.entity_id,
        patterns.rule_id
    from entity_values
    inner join {{ source('rules', 'rule_patterns') }} as patterns
        on patterns.attribute = entity_values.field
        and entity_values.text_value like patterns.like_pattern escape '\'
),

matches as (
    select
        entity_values.entity_kind,
        entity_values.entity_id,
        rules.field,
        rules.rule_id,
        rules.case_order,
        rules.points,
        coalesce(entity_values.text_value, cast(entity_values.number_value as {{ dbt.type_string() }})) as field_value
    from entity_values
    inner join rules on rules.field = entity_values.field
    left join pattern_hits
        on pattern_hits.entity_kind = entity_values.entity_kind
        and pattern_hits.entity_id = entity_values.entity_id
        and pattern_hits.rule_id = rules.rule_id
    where case rules.operator
        when 'missing' then entity_values.text_value is null and entity_values.number_value is null
        when 'otherwise' then entity_values.text_value is not null or entity_values.number_value is not null
        when 'between' then entity_values.number_value >= coalesce(rules.min_value, entity_values.number_value)
            and entity_values.number_value <= coalesce(rules.max_value, entity_values.number_value)
        else pattern_hits.rule_id is not null
    end
),

ranked as (
    select
        *,
        row_number() over (
            partition by entity_kind, entity_id, field order by case_order
        ) as match_rank
    from matches
)

select
    entity_kind,
    entity_id,
    field,
    rule_id,
    field_value,
    {{ points('points') }} as fit_points
from ranked
where match_rank = 1

-- Fit points per lead (and per account, on the fields an account has) and field: the first
-- case of rules/scoring.yml `fit.fields` that matches the field's value. An empty value scores
-- the field's `missing` points and a value no case matches its `otherwise` points, so every
-- lead has exactly one row per fit field.
-- A table: the scores, the score history (once per batch), the account roll-up, the
-- explanations and calibration all read it; as a view it was recomputed by each.
--
-- Incremental by entity: each row carries a digest of what its entity's points depend on (the
-- fields scored, their values, the rules version); a night scores again only the leads and
-- accounts whose digest differs from their rows' (the few whose CRM record changed; all of
-- them after a change of rules) and the new ones, and drops the rows of those gone from the CRM.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['entity_kind', 'entity_id'],
        on_schema_change='append_new_columns',
        post_hook="{{ drop_fit_of_entities_gone() }}",
    )
}}
{% set lead_text_fields = ['title', 'industry', 'country', 'lead_source', 'email_domain'] %}
{% set account_text_fields = ['industry', 'country'] %}
{% set number_fields = ['employees', 'annual_revenue'] %}
{% set has_digest = incremental_with_column('_values_digest') %}
{% set entities = [
    ('lead', 'leads', 'lead_id', lead_text_fields),
    ('account', 'accounts', 'account_id', account_text_fields),
] %}
with leads as (
    select * from {{ ref('int_leads_enriched') }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

version as (
    select rules_version from {{ source('rules', 'rules_version') }}
),

entity_digests as (
    {% for entity, relation, key, text_fields in entities %}
    {%- set fields = text_fields + number_fields %}
    select
        '{{ entity }}' as entity_kind,
        {{ relation }}.{{ key }} as entity_id,
        {{ digest(["'" ~ fields | join(',') ~ "'", 'version.rules_version'] + fields) }} as values_digest
    from {{ relation }}
    cross join version
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

-- every entity on a first build; then those whose rows carry another digest, or none
entities_to_score as (
    select entity_digests.*
    from entity_digests
    {% if has_digest %}
    left join (
        select distinct entity_kind, entity_id, _values_digest from {{ this }}
    ) as built
        on built.entity_kind = entity_digests.entity_kind
        and built.entity_id = entity_digests.entity_id
        and built._values_digest = entity_digests.values_digest
    where built.entity_id is null
    {% endif %}
),

{% for entity, relation, key, text_fields in entities %}
{{ relation }}_to_score as (
    select {{ relation }}.*
    from {{ relation }}
    {% if has_digest %}
    inner join entities_to_score
        on entities_to_score.entity_kind = '{{ entity }}'
        and entities_to_score.entity_id = {{ relation }}.{{ key }}
    {% endif %}
),

{% endfor %}
entity_values as (
    {% for entity, relation, key, text_fields in entities %}
    {% for field in text_fields %}
    select
        '{{ entity }}' as entity_kind,
        {{ key }} as entity_id,
        '{{ field }}' as field,
        lower(trim({{ field }})) as text_value,
        cast(null as double) as number_value
    from {{ relation }}_to_score
    union all
    {% endfor %}
    {% for field in number_fields %}
    select
        '{{ entity }}' as entity_kind,
        {{ key }} as entity_id,
        '{{ field }}' as field,
        cast(null as {{ dbt.type_string() }}) as text_value,
        cast({{ field }} as double) as number_value
    from {{ relation }}_to_score
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

rules as (
    select * from {{ source('rules', 'fit_rules') }}
),

-- The case a field's value earns depends on the value alone: it is found once per distinct
-- value (a few hundred titles and industries, a domain per account), not once per lead.
field_values as (
    select distinct field, text_value, number_value from entity_values
),

pattern_hits as (
    select distinct
        field_values.field,
        field_values.text_value,
        patterns.rule_id
    from field_values
    inner join {{ source('rules', 'rule_patterns') }} as patterns
        on patterns.attribute = field_values.field
        and field_values.text_value like patterns.like_pattern escape '\'
),

value_cases as (
    select
        field_values.field,
        field_values.text_value,
        field_values.number_value,
        rules.rule_id,
        rules.points
    from field_values
    inner join rules on rules.field = field_values.field
    left join pattern_hits
        on pattern_hits.field = field_values.field
        and pattern_hits.text_value = field_values.text_value
        and pattern_hits.rule_id = rules.rule_id
    where case rules.operator
        when 'missing' then field_values.text_value is null and field_values.number_value is null
        when 'otherwise' then field_values.text_value is not null or field_values.number_value is not null
        when 'between' then field_values.number_value >= coalesce(rules.min_value, field_values.number_value)
            and field_values.number_value <= coalesce(rules.max_value, field_values.number_value)
        else pattern_hits.rule_id is not null
    end
    qualify row_number() over (
        partition by field_values.field, field_values.text_value, field_values.number_value
        order by rules.case_order
    ) = 1
)

select
    entity_values.entity_kind,
    entity_values.entity_id,
    entity_values.field,
    value_cases.rule_id,
    coalesce(entity_values.text_value, cast(entity_values.number_value as {{ dbt.type_string() }})) as field_value,
    {{ points('value_cases.points') }} as fit_points,
    entities_to_score.values_digest as _values_digest
from entity_values
inner join entities_to_score
    on entities_to_score.entity_kind = entity_values.entity_kind
    and entities_to_score.entity_id = entity_values.entity_id
inner join value_cases
    on value_cases.field = entity_values.field
    and value_cases.text_value is not distinct from entity_values.text_value
    and value_cases.number_value is not distinct from entity_values.number_value

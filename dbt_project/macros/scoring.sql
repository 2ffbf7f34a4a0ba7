{#- Points as exact decimals, so a lead's contributions add up to its score to the cent. -#}
{% macro points(expression) -%}
    cast(round({{ expression }}, 2) as decimal(18, 2))
{%- endmacro %}

{#- Post-hook of int_fit_contributions: a lead or account gone from the CRM loses its rows
    (delete+insert replaces only the entities it writes rows for). -#}
{% macro drop_fit_of_entities_gone() -%}
    delete from {{ this }}
    where ({{ this }}.entity_kind = 'lead' and not exists (
            select 1 from {{ ref('int_leads_enriched') }} as leads
            where leads.lead_id = {{ this }}.entity_id
        ))
       or ({{ this }}.entity_kind = 'account' and not exists (
            select 1 from {{ ref('stg_crm__accounts') }} as accounts
            where accounts.account_id = {{ this }}.entity_id
        ))
{%- endmacro %}

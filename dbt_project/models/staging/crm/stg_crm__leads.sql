-- One row per person in the CRM: the latest version of every lead and contact as of the scoring
-- day, e-mail normalised, and records of the same person (same e-mail, see
-- stg_crm__lead_identities) merged into one under the id of the record created first. Each
-- field comes from the first of the person's records that has it (the surviving record first),
-- created_at is the earliest, updated_at the latest, and do-not-contact holds if any record
-- says so.
-- A table, not a view: a dozen models and tests read it, and as a view each one merged the
-- versions again (3 s each at 1M leads).
{{ config(materialized='table') }}
with versions as (
    {{ latest_version_as_of(source('raw', 'crm_leads'), 'lead_id') }}
),

normalised as (
    select
        identities.person_id,
        identities.person_records,
        versions.lead_id,
        nullif(lower(trim(versions.email)), '') as email,
        first_name,
        last_name,
        nullif(trim(title), '') as title,
        company,
        nullif(lower(trim(domain)), '') as company_domain,
        nullif(trim(industry), '') as industry,
        nullif(trim(country), '') as country,
        nullif(trim(lead_source), '') as lead_source,
        owner_id,
        account_id,
        lower(trim(status)) as crm_status,
        employees,
        annual_revenue,
        do_not_contact,
        nullif(lower(trim(record_type)), '') as record_type,
        nullif(lower(trim(lifecycle_stage)), '') as crm_lifecycle_stage,
        created_at,
        coalesce(updated_at, created_at) as updated_at
    from versions
    join {{ ref('stg_crm__lead_identities') }} as identities using (lead_id)
),
{%- set fields = ['email', 'first_name', 'last_name', 'title', 'company', 'company_domain',
                  'industry', 'country', 'lead_source', 'owner_id', 'account_id', 'crm_status',
                  'employees', 'annual_revenue', 'record_type', 'crm_lifecycle_stage'] %}

-- a person of one record (most of them) is that record: ranking and merging them all cost
-- two thirds of this model at 1M leads
single_records as (
    select
        person_id as lead_id,
        {%- for column in fields %}
        {{ column }},
        {%- endfor %}
        coalesce(do_not_contact, false) as is_do_not_contact,
        cast(1 as bigint) as merged_records,
        created_at,
        updated_at
    from normalised
    where person_records = 1
),

merged as (
    select
        person_id as lead_id,
        {%- for column in fields %}
        arg_min({{ column }}, merge_order) filter (where {{ column }} is not null) as {{ column }},
        {%- endfor %}
        coalesce(bool_or(do_not_contact), false) as is_do_not_contact,
        count(*) as merged_records,
        min(created_at) as created_at,
        max(updated_at) as updated_at
    from (
        select
            *,
            -- the surviving record first, then the others in creation order
            row_number() over (
                partition by person_id
                order by lead_id = person_id desc, created_at, lead_id
            ) as merge_order
        from normalised
        where person_records > 1
    ) as records
    group by person_id
),

people as (
    select * from single_records
    union all
    select * from merged
)

select
    *,
    -- the part after the last @: what disqualifiers and fit rules look at
    nullif({{ dbt.split_part('email', "'@'", -1) }}, email) as email_domain
from people

-- Leads with their firmographics completed from their account: CRMs often leave a lead's
-- industry, size, revenue or country empty while its company record has them. The lead's own
-- value wins; the account is found by the CRM link, else by the lead's company or e-mail domain.
-- A table, not a view: fit, disqualifiers, lead scores and lifecycle signals all read it, and
-- as a view each one matched every lead to its account again (3 s each at 1M leads).
{{ config(materialized='table') }}
with leads as (
    select * from {{ ref('stg_crm__leads') }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

-- one account per domain: the oldest, so the choice never flips between runs
accounts_by_domain as (
    select account_domain, account_id
    from (
        select
            account_domain,
            account_id,
            row_number() over (partition by account_domain order by created_at, account_id) as domain_rank
        from accounts
        where account_domain is not null
    ) as ranked
    where domain_rank = 1
),

linked as (
    select
        leads.*,
        coalesce(
            by_id.account_id, by_company_domain.account_id, by_email_domain.account_id
        ) as matched_account_id
    from leads
    left join accounts as by_id on by_id.account_id = leads.account_id
    left join accounts_by_domain as by_company_domain
        on by_company_domain.account_domain = leads.company_domain
    left join accounts_by_domain as by_email_domain
        on by_email_domain.account_domain = leads.email_domain
)

select
    linked.lead_id,
    linked.email,
    linked.email_domain,
    linked.first_name,
    linked.last_name,
    linked.title,
    linked.company,
    linked.owner_id,
    linked.matched_account_id as account_id,
    linked.crm_status,
    linked.lead_source,
    linked.is_do_not_contact,
    coalesce(linked.industry, accounts.industry) as industry,
    coalesce(linked.employees, accounts.employees) as employees,
    coalesce(linked.annual_revenue, accounts.annual_revenue) as annual_revenue,
    coalesce(linked.country, accounts.country) as country,
    linked.created_at,
    linked.updated_at
from linked
left join accounts on accounts.account_id = linked.matched_account_id

-- One row per CRM user (lead owner): the last loaded version.
select
    user_id,
    name as user_name,
    nullif(lower(trim(email)), '') as user_email,
    nullif(trim(team), '') as team,
    nullif(trim(time_zone), '') as time_zone,
    coalesce(is_active, true) as is_active
from (
    select
        *,
        row_number() over (
            partition by user_id order by _loaded_at desc, _source_file desc, _source_row desc
        ) as _version_rank
    from {{ source('raw', 'crm_users') }}
    where user_id is not null
) as versions
where _version_rank = 1

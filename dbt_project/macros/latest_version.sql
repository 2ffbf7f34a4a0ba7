{#- CRM exports arrive as repeated snapshots: the raw layer keeps every version of a record.
    Staging keeps one version per key: the latest one updated before the end of the scoring day
    (what we knew then); a record first seen later is left out of that day.
    Ties (the same record in two files with the same timestamp) go to the last loaded row.
    Most keys have a single version (a night's export changes a few thousand of 1M leads), so
    only the keys with several are ranked: ranking every whole row cost 1.1 s of CPU at 1M
    leads, finding the few keys to rank a fraction of that. -#}
{% macro latest_version_as_of(relation, key, updated_at='updated_at', created_at='created_at') -%}
    {%- set known -%}
        {{ key }} is not null and coalesce({{ updated_at }}, {{ created_at }}) < {{ as_of_end() }}
    {%- endset -%}
    with keys_with_versions as (
        select {{ key }}
        from {{ relation }}
        where {{ known }}
        group by {{ key }}
        having count(*) > 1
    )

    select *
    from {{ relation }}
    where {{ known }}
      and {{ key }} not in (select {{ key }} from keys_with_versions)

    union all

    select * exclude (_version_rank)
    from (
        select
            *,
            row_number() over (
                partition by {{ key }}
                order by coalesce({{ updated_at }}, {{ created_at }}) desc, _loaded_at desc, _source_file desc, _source_row desc
            ) as _version_rank
        from {{ relation }}
        where {{ known }}
          and {{ key }} in (select {{ key }} from keys_with_versions)
    ) as versions
    where _version_rank = 1
{%- endmacro %}

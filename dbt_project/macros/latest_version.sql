{#- CRM exports arrive as repeated snapshots: the raw layer keeps every version of a record.
    Staging keeps one version per key: the latest one updated before the end of the scoring day
    (what we knew then); a record first seen later is left out of that day.
    Ties (the same record in two files with the same timestamp) go to the last loaded row. -#}
{% macro latest_version_as_of(relation, key, updated_at='updated_at', created_at='created_at') -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key }}
                order by coalesce({{ updated_at }}, {{ created_at }}) desc, _loaded_at desc, _source_file desc, _source_row desc
            ) as _version_rank
        from {{ relation }}
        where {{ key }} is not null
          and coalesce({{ updated_at }}, {{ created_at }}) < {{ as_of_end() }}
    ) as versions
    where _version_rank = 1
{%- endmacro %}

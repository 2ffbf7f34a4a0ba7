{#- A table an incremental model keeps beside its rows for the next run (<this>__<suffix>):
    the record of its build, the mapping or keys it matched with, the counts it carries on. -#}
{% macro kept_beside(suffix) -%}
    {{- return(this.incorporate(path={'identifier': this.identifier ~ '__' ~ suffix})) -}}
{%- endmacro %}

{#- `relation` as the warehouse has it, or none when it does not exist (yet). -#}
{% macro existing_relation(relation) -%}
    {{- return(adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier)) -}}
{%- endmacro %}

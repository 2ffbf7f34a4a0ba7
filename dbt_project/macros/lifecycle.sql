{#- The moments that keep an SQL alive (engagement: any scored event; a completed sales task),
    of the leads in `leads` (a relation or CTE with lead_id): an SQL without one for
    lifecycle.yml recycle.inactive_sql_days is recycled. Rows may repeat (an event scores in
    several groups). Read by the stage history and by the digest of its inputs. -#}
{% macro lifecycle_pulses(leads) -%}
    select scored.lead_id, scored.occurred_at as pulse_at
    from {{ ref('int_activities_scored') }} as scored
    inner join {{ leads }} as pulse_leads on pulse_leads.lead_id = scored.lead_id
    union all
    select tasks.lead_id, tasks.occurred_at
    from {{ ref('stg_crm__tasks') }} as tasks
    inner join {{ leads }} as pulse_leads on pulse_leads.lead_id = tasks.lead_id
    where tasks.task_status = 'completed'
{%- endmacro %}

"""The floor: one hand-written DuckDB query from the CSV exports to each lead's engagement score.

    python -m bench.floor LANDING_DIR AS_OF OUT.csv    # BENCH_FLOOR_MEMORY_LIMIT=4GB to cap DuckDB

It computes only what the night's answer needs (the scores of one day), with the same rules
tables, matching, frequency conditions, day caps, decay, rule and group caps, floor and
ceiling as the dbt models: what this hardware can do for the same result. What it leaves out,
on purpose: history of past days, the raw layer, quarantine, explanations, lifecycle, SLA.
It assumes one export per CRM table with one version per record and no merged records (true of
the benchmark's base files), so identity is "the CRM id if it is a lead, else the e-mail".
Written as someone who knows DuckDB would write it for 50M events: page categories and rule
patterns are matched once per distinct URL and event signature, and only the frequency rules
number and count a lead's events.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import duckdb

from bench.scoring_inputs import (
    csv_files,
    csv_types,
    engagement_rule_tables,
    score_command_line,
    typed_rule_select,
)

ACTIVITY_COLUMNS = ["activity_id", "lead_id", "email", "activity_type", "occurred_at", "url",
                    "form_name", "campaign", "asset", "detail"]  # fmt: skip

FLOOR_SQL = """
with leads as (
    select lead_id, nullif(lower(trim(email)), '') as email, created_at
    from read_csv($leads, header = true, types = $lead_types)
    where created_at < $as_of_end
),

leads_by_email as (
    select email, arg_min(lead_id, (created_at, lead_id)) as lead_id
    from leads where email is not null group by email
),

activities as (
    select
        raw.activity_id,
        coalesce(by_id.lead_id, by_email.lead_id) as lead_id,
        lower(trim(raw.activity_type)) as activity_type,
        nullif(trim(raw.url), '') as url,
        nullif(trim(raw.form_name), '') as form_name,
        nullif(trim(raw.campaign), '') as campaign,
        nullif(trim(raw.asset), '') as asset,
        nullif(lower(trim(raw.detail)), '') as detail,
        raw.occurred_at,
        cast(raw.occurred_at as date) as activity_date
    from read_csv($activities, header = true, types = $activity_types) as raw
    left join leads as by_id on by_id.lead_id = nullif(trim(raw.lead_id), '')
    left join leads_by_email as by_email on by_email.email = nullif(lower(trim(raw.email)), '')
    where raw.occurred_at < $as_of_end
),

-- a page's category once per distinct URL, and the rules a kind of event matches once per
-- distinct "signature" (type, detail and the attributes patterns look at): the same pages,
-- forms and campaigns recur across millions of events
url_categories as (
    select urls.url, min_by(c.category, c.category_order) as page_category
    from (select distinct url from activities where url is not null) as urls
    inner join page_categories as c on lower(urls.url) like c.like_pattern escape '\\'
    group by urls.url
),

categorised as not materialized (
    select activities.*, url_categories.page_category
    from activities
    left join url_categories using (url)
    where lead_id is not null
),

signatures as (
    select distinct activity_type, detail, url, page_category, form_name, campaign, asset
    from categorised
),

-- a rule's attribute patterns: every constrained attribute needs one matching pattern
signature_rules as (
    select signatures.*, rules.rule_id
    from signatures
    inner join engagement_rules as rules
        on rules.activity_type = signatures.activity_type
        and (rules.detail is null or rules.detail = signatures.detail)
    where rules.constrained_attributes = (
        select count(distinct p.attribute) from rule_patterns as p
        where p.rule_id = rules.rule_id
          and lower(case p.attribute
              when 'url' then signatures.url
              when 'page_category' then signatures.page_category
              when 'form_name' then signatures.form_name
              when 'campaign' then signatures.campaign
              when 'asset' then signatures.asset
          end) like p.like_pattern escape '\\'
    )
),

matching as not materialized (
    select categorised.activity_id, categorised.lead_id, categorised.occurred_at,
           categorised.activity_date, rules.*
    from categorised
    inner join signature_rules as sr
        on sr.activity_type = categorised.activity_type
        and sr.detail is not distinct from categorised.detail
        and sr.url is not distinct from categorised.url
        and sr.page_category is not distinct from categorised.page_category
        and sr.form_name is not distinct from categorised.form_name
        and sr.campaign is not distinct from categorised.campaign
        and sr.asset is not distinct from categorised.asset
    inner join engagement_rules as rules on rules.rule_id = sr.rule_id
),

-- frequency conditions count the lead's events that match the rule; only those rules need
-- the counting. {min_events: N, within_days: D}: matching events in the D days up to each
-- event (a RANGE window counts ties at the same instant too, like the models). The rules' one
-- within_days is written into the query as a constant frame width: DuckDB also takes a
-- per-rule width (the model does, rules being data), but the constant is faster (L: 209 s
-- against 227 s for the whole floor), and the floor is the fastest we can write.
counted as (
    select
        matching.*,
        row_number() over (
            partition by lead_id, rule_id order by occurred_at, activity_id
        ) as occurrence_number,
        min(activity_date) over (partition by lead_id, rule_id) as first_activity_date,
        case when frequency_mode = 'min_events' then count(*) over (
            partition by lead_id, rule_id order by occurred_at
            range between interval {window_us} microsecond preceding and current row
        ) end as recent_in_window
    from matching
    where frequency_mode <> 'every_time'
),

qualifying as (
    select * exclude (occurrence_number, first_activity_date, recent_in_window) from counted
    where case frequency_mode
        when 'first_time' then occurrence_number = 1
        when 'nth_time' then occurrence_number = frequency_n
        when 'returning' then activity_date > first_activity_date
        when 'min_events' then recent_in_window >= frequency_n
    end

    union all

    select * from matching where frequency_mode = 'every_time'
),

scored as (
    select * from qualifying
    qualify row_number() over (partition by activity_id, group_id order by rule_order) = 1
),

days as (
    select
        lead_id, group_id, rule_id, activity_date,
        max(max_points) as max_points,
        sum(points) as raw_points,
        max(max_points_per_day) as max_points_per_day
    from scored
    where activity_date > $as_of - to_days((select window_days from engagement_settings))
    group by all
),

decayed as (
    select
        days.*,
        case when abs(raw_points) > max_points_per_day then sign(raw_points) * max_points_per_day
             else raw_points end as day_points,
        datediff('day', activity_date, $as_of) as age_days,
        case g.decay_kind
            when 'half_life' then power(0.5, datediff('day', activity_date, $as_of) / g.half_life_days)
            when 'linear' then greatest(0.0, 1.0 - g.decay_percent / 100.0
                * floor(datediff('day', activity_date, $as_of) / g.decay_every_days))
            when 'window' then case when datediff('day', activity_date, $as_of) < g.decay_window_days
                then 1.0 else 0.0 end
            else 1.0
        end as factor
    from days inner join engagement_groups as g using (group_id)
),

per_rule as (
    select lead_id, group_id, max(max_points) as max_points, sum(day_points * factor) as points
    from decayed where factor > 0
    group by lead_id, group_id, rule_id
),

per_group as (
    select
        lead_id,
        group_id,
        sum(cast(round(case when abs(points) > max_points then sign(points) * max_points
                       else points end, 2) as decimal(18, 2))) as points
    from per_rule
    group by lead_id, group_id
),

per_lead as (
    select
        lead_id,
        sum(case when abs(per_group.points) > g.max_points
                 then cast(sign(per_group.points) * g.max_points as decimal(18, 2))
                 else per_group.points end) as points
    from per_group inner join engagement_groups as g using (group_id)
    group by lead_id
)

select
    lead_id,
    cast(round(least(greatest(points, s.score_floor), s.score_ceiling), 2) as decimal(18, 2))
        as engagement_score
from per_lead cross join engagement_settings as s
"""


def floor_scores(landing: Path, as_of: dt.date, out: Path, memory_limit: str = "") -> int:
    # DuckDB's default memory limit (80% of RAM), as the pipeline's dbt runs get, unless told
    config = {"memory_limit": memory_limit} if memory_limit else {}
    with duckdb.connect(config=config) as connection:
        connection.execute("set TimeZone = 'UTC'")
        for name, frame in engagement_rule_tables().items():
            connection.register(f"{name}_frame", frame)
            connection.execute(f"create table {name} as {typed_rule_select(name, name + '_frame')}")
        query = FLOOR_SQL.replace("{window_us}", str(_frequency_window_us(connection)))
        connection.execute(
            f"copy ({query}) to '{out}' (header)",
            {
                "leads": csv_files(landing, "crm_leads"),
                "lead_types": csv_types("crm_leads", ["lead_id", "email", "created_at"]),
                "activities": csv_files(landing, "marketing_activities"),
                "activity_types": csv_types("marketing_activities", ACTIVITY_COLUMNS),
                "as_of": as_of,
                "as_of_end": dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time()),
            },
        )
        return connection.execute(f"select count(*) from read_csv('{out}')").fetchone()[0]


def _frequency_window_us(connection: duckdb.DuckDBPyConnection) -> int:
    """The min_events window in microseconds, less one: the models count earlier events
    strictly after `occurred_at - within_days`."""
    days = connection.execute(
        "select distinct frequency_days from engagement_rules where frequency_mode = 'min_events'"
    ).fetchall()
    if len(days) > 1:
        raise SystemExit("the floor supports one within_days for all min_events rules")
    return int(days[0][0] if days else 1) * 86_400_000_000 - 1


def main(argv: list[str] | None = None) -> None:
    memory_limit = os.environ.get("BENCH_FLOOR_MEMORY_LIMIT", "")
    args = score_command_line(__doc__, argv)
    rows = floor_scores(args.landing, args.as_of, args.out, memory_limit)
    print(json.dumps({"leads_with_points": rows}))


if __name__ == "__main__":
    main()

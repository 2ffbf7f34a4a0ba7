"""Large canonical exports for the benchmark, generated set-based inside DuckDB.

    python -m bench.generate --size S    # writes bench/data/S/ unless it is already there

`orchestration/sample_data/generator.py` draws every record in Python, which is right for 400
leads and far too slow for 50M activities. Here every table is one `COPY (SELECT ...)` over
`range(n)`, and every random choice is a hash of the row number and a salt, so the files are
the same on every run and DuckDB writes them on all cores.

The shape imitates the small generator: a few leads are very active (the lead behind an
activity is drawn with a strongly skewed distribution), web visits dominate, hand-raises are
rare, e-mail addresses are shared between CRM and marketing so some events match by e-mail only.

Two sets of files per size:
  base/   the exports up to and including END_DAY (the benchmark's first night);
  night/  what lands the next day: one more day of activities, new and changed leads, tasks
          and opportunities (the incremental night).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

BENCH_DIR = Path(__file__).resolve().parent
DATA_DIR = BENCH_DIR / "data"
# The benchmark's first night: the generated history ends on this day.
END_DAY = dt.date(2026, 11, 20)
HISTORY_DAYS = 365
# base leads are created over the 400 days before END_DAY
LEAD_SPREAD_DAYS = 400
USERS = 8
# Bump when the generated data changes shape, so cached files are regenerated.
GENERATOR_VERSION = "5"


@dataclass(frozen=True)
class Size:
    leads: int
    accounts: int
    activities: int


SIZES = {
    "S": Size(leads=10_000, accounts=1_000, activities=500_000),
    "M": Size(leads=100_000, accounts=10_000, activities=5_000_000),
    "L": Size(leads=1_000_000, accounts=100_000, activities=50_000_000),
}

# (activity type, share of all events in percent): web visits and e-mail dominate, hand-raises
# are rare, as in the small generator.
ACTIVITY_MIX = (
    ("web_visit", 55.0),
    ("email_open", 20.0),
    ("email_click", 8.0),
    ("form_fill", 5.0),
    ("webinar_registered", 2.5),
    ("webinar_attended", 1.5),
    ("email_bounce", 1.5),
    ("unsubscribe", 0.7),
    ("demo_request", 1.0),
    ("contact_request", 1.0),
    ("trial_request", 0.8),
    ("quote_request", 0.5),
    ("inbound_call", 0.7),
    ("demo_attended", 0.8),
)
URL_PATHS = (
    "/",
    "/pricing",
    "/product",
    "/product/integrations",
    "/integrations/salesforce",
    "/case-studies/acme",
    "/solutions/manufacturing",
    "/docs/getting-started",
    "/docs/api",
    "/blog/digital-twin-hype-or-help",
    "/blog/lead-scoring-101",
    "/resources/roi-guide",
    "/webinars/q4-roadmap",
    "/careers",
    "/jobs/sre",
    "/contact",
    "/demo",
    "/about",
)
FORM_NAMES = (
    "Newsletter Signup",
    "Whitepaper Download",
    "Ebook Download",
    "Industry Report 2026",
    "Webinar Registration",
    "Contact Us",
    "Request a Demo",
    "Start Free Trial",
    "Event Feedback",
)
TITLES = (
    "Software Engineer",
    "Senior Developer",
    "Engineering Manager",
    "Director of IT",
    "VP Engineering",
    "CTO",
    "Head of Operations",
    "Site Reliability Engineer",
    "Procurement Manager",
    "Data Analyst",
    "Marketing Intern",
    "Student",
    "",
)
INDUSTRIES = (
    "Software",
    "Manufacturing",
    "Financial Services",
    "Healthcare",
    "Logistics",
    "Retail",
    "Education",
    "Government",
    "Media",
    "Construction",
)
COUNTRIES = ("United States", "United States", "United States", "Canada", "United Kingdom",
             "Germany", "France", "India", "Brazil", "Australia")  # fmt: skip
LEAD_SOURCES = ("Web", "Organic Search", "Paid Search", "Email", "Social", "Referral", "Event",
                "Partner", "Purchased List")  # fmt: skip
STAGES = ("Qualification", "Discovery", "Proposal", "Negotiation", "Closed Won", "Closed Lost")


def size_dir(size: str) -> Path:
    return DATA_DIR / size


def ensure_data(size: str) -> Path:
    """Generate the size's files unless a complete set of this generator version is cached."""
    target = size_dir(size)
    marker = target / f".complete-v{GENERATOR_VERSION}"
    if marker.exists():
        print(f"[generate] using cached data in {target}", flush=True)
        return target
    shutil.rmtree(target, ignore_errors=True)
    (target / "base").mkdir(parents=True)
    (target / "night").mkdir(parents=True)
    started = time.monotonic()
    # The generator is a benchmark tool, not the thing measured: it may use the memory it needs,
    # but stays well inside the shared machine.
    with duckdb.connect(config={"memory_limit": "4GB"}) as connection:
        connection.execute("set TimeZone = 'UTC'")
        _define_helpers(connection)
        _write_all(connection, SIZES[size], target)
    marker.touch()
    print(f"[generate] {size} written in {time.monotonic() - started:.0f}s", flush=True)
    return target


def _list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _define_helpers(connection: duckdb.DuckDBPyConnection) -> None:
    # u(i, salt): a uniform number in [0, 1) that depends only on the row and the salt
    connection.execute("create macro u(i, salt) as (hash(i, salt) % 1000003) / 1000003.0")
    # pick(list, i, salt): one element of a list, uniformly
    connection.execute(
        "create macro pick(xs, i, salt) as xs[1 + cast(floor(u(i, salt) * len(xs)) as bigint)]"
    )
    connection.execute("create macro iso(ts) as strftime(ts, '%Y-%m-%dT%H:%M:%SZ')")
    connection.execute("create macro lead_id(n) as 'L' || lpad(cast(n as varchar), 8, '0')")
    # Which lead an event (or deal, or task) belongs to: half go to the engaged tenth of the
    # leads (every tenth one), half to any lead. An engaged lead then has a few hundred events
    # a year and the rest a few dozen, as real marketing traffic does; a heavier tail (one lead
    # with a large share of all events) would measure a bot rather than the product.
    connection.execute(
        """
        create macro pick_lead(i, salt, leads) as case
            when u(i, salt || 'e') < 0.5 then (hash(i, salt) % (leads // 10)) * 10
            else hash(i, salt || 'x') % leads
        end
        """
    )
    # When base lead n was created (the formula of the base lead export): deals and tasks
    # come after it.
    connection.execute(
        f"""
        create macro lead_created(n) as
            timestamp '{END_DAY}' - to_days(cast(u(n, 'crd') * {LEAD_SPREAD_DAYS} as bigint))
                + to_seconds(cast(u(n, 'crs') * 86399 as bigint))
        """
    )


def _copy(connection: duckdb.DuckDBPyConnection, select: str, path: Path) -> None:
    started = time.monotonic()
    connection.execute(f"copy ({select}) to '{path}' (header, delimiter ',')")
    print(f"[generate]   {path.parent.name}/{path.name} ({time.monotonic() - started:.0f}s)",
          flush=True)  # fmt: skip


def _write_all(connection: duckdb.DuckDBPyConnection, size: Size, target: Path) -> None:
    end = END_DAY.isoformat()
    night = (END_DAY + dt.timedelta(days=1)).isoformat()
    # A lead is created some time in the 400 days before END_DAY; new leads arrive the night after.
    new_leads = max(1, size.leads // HISTORY_DAYS)
    _copy(connection, _users_sql(), target / "base" / "crm_users.csv")
    _copy(connection, _accounts_sql(size), target / "base" / "crm_accounts.csv")
    _copy(connection, _leads_sql(0, size.leads, size.accounts, end, LEAD_SPREAD_DAYS), target / "base" / "crm_leads.csv")  # fmt: skip
    _copy(connection, _activities_sql(0, size.activities, size.leads, size.accounts, end, HISTORY_DAYS),
          target / "base" / "marketing_activities.csv")  # fmt: skip
    _copy(connection, _opportunities_sql(0, size.leads // 40, size.leads, size.accounts, end, HISTORY_DAYS),
          target / "base" / "crm_opportunities.csv")  # fmt: skip
    _copy(connection, _tasks_sql(0, size.leads, size.leads, end, HISTORY_DAYS),
          target / "base" / "crm_tasks.csv")  # fmt: skip

    # The next night: one day of activities (the daily average), new leads, and a share of old
    # leads changed (status, owner) with a later updated_at, as a CRM delta export has them.
    daily = size.activities // HISTORY_DAYS
    changed = max(1, size.leads // 200)
    _copy(
        connection,
        f"""
        {_leads_sql(size.leads, new_leads, size.accounts, night, 1)}
        union all
        -- every 200th lead changed that day: sales started working it
        select * exclude (i) replace (
            'working' as status,
            iso(timestamp '{night}' + to_seconds(cast(u(i, 'chg') * 86399 as bigint))) as updated_at
        )
        from ({_leads_sql(0, size.leads, size.accounts, end, LEAD_SPREAD_DAYS, with_index=True)})
        where i % {size.leads // changed} = 7
        """,
        target / "night" / f"crm_leads_{night}.csv",
    )
    _copy(connection, _activities_sql(size.activities, daily, size.leads + new_leads, size.accounts, night, 1),
          target / "night" / f"marketing_activities_{night}.csv")  # fmt: skip
    _copy(connection, _opportunities_sql(size.leads // 40, max(1, size.leads // 40 // HISTORY_DAYS), size.leads, size.accounts, night, 1),
          target / "night" / f"crm_opportunities_{night}.csv")  # fmt: skip
    _copy(connection, _tasks_sql(size.leads, max(1, size.leads // HISTORY_DAYS), size.leads, night, 1),
          target / "night" / f"crm_tasks_{night}.csv")  # fmt: skip


def _users_sql() -> str:
    return f"""
        select
            'U' || lpad(cast(i as varchar), 3, '0') as user_id,
            'Rep ' || i as name,
            'rep' || i || '@example-saas.com' as email,
            ['east', 'west', 'emea'][1 + i % 3] as team,
            ['America/New_York', 'America/Los_Angeles', 'Europe/London'][1 + i % 3] as time_zone,
            'true' as is_active
        from range(1, {USERS + 1}) as t(i)
    """


def _accounts_sql(size: Size) -> str:
    return f"""
        select
            'A' || lpad(cast(i as varchar), 7, '0') as account_id,
            'Company ' || i as name,
            'company' || i || '.com' as domain,
            pick({_list(INDUSTRIES)}, i, 'ind') as industry,
            cast(5 + floor(pow(u(i, 'emp'), 3) * 20000) as bigint) as employees,
            cast(floor(u(i, 'rev') * 50000000) as bigint) as annual_revenue,
            pick({_list(COUNTRIES)}, i, 'cty') as country,
            'U' || lpad(cast(1 + i % {USERS} as varchar), 3, '0') as owner_id,
            iso(timestamp '{END_DAY}' - to_days(400 + cast(u(i, 'acr') * 400 as bigint))) as created_at,
            iso(timestamp '{END_DAY}' - to_days(cast(u(i, 'acu') * 300 as bigint))) as updated_at
        from range({size.accounts}) as t(i)
    """


def _leads_sql(
    first: int, count: int, accounts: int, last_day: str, spread_days: int, with_index=False
) -> str:
    # lead i belongs to account i % accounts, so accounts have about leads/accounts people
    return f"""
        select
            {"i," if with_index else ""}
            lead_id(i) as lead_id,
            'person' || i || '@company' || (i % {accounts}) || '.com' as email,
            'First' || (i % 997) as first_name,
            'Last' || (i % 991) as last_name,
            pick({_list(TITLES)}, i, 'ttl') as title,
            'Company ' || (i % {accounts}) as company,
            'company' || (i % {accounts}) || '.com' as domain,
            pick({_list(INDUSTRIES)}, i % {accounts}, 'ind') as industry,
            cast(5 + floor(pow(u(i % {accounts}, 'emp'), 3) * 20000) as bigint) as employees,
            cast(floor(u(i % {accounts}, 'rev') * 50000000) as bigint) as annual_revenue,
            pick({_list(COUNTRIES)}, i % {accounts}, 'cty') as country,
            pick({_list(LEAD_SOURCES)}, i, 'src') as lead_source,
            'U' || lpad(cast(1 + i % {USERS} as varchar), 3, '0') as owner_id,
            -- `unqualified` is sales handing the lead back: recycles in the stage history
            pick(['new', 'working', 'nurture', 'unqualified'], i, 'sts') as status,
            'A' || lpad(cast(i % {accounts} as varchar), 7, '0') as account_id,
            case when u(i, 'dnc') < 0.01 then 'true' else 'false' end as do_not_contact,
            iso(created) as created_at,
            -- updated some time after creation, never after the export day
            iso(greatest(created, least(created + to_days(cast(u(i, 'upd') * 200 as bigint)),
                                        timestamp '{last_day}' + interval 23 hour))) as updated_at
        from (
            select
                i,
                timestamp '{last_day}' - to_days(cast(u(i, 'crd') * {spread_days} as bigint))
                    + to_seconds(cast(u(i, 'crs') * 86399 as bigint)) as created
            from range({first}, {first + count}) as t(i)
        )
    """


def _activities_sql(
    first: int, count: int, leads: int, accounts: int, last_day: str, days: int
) -> str:
    bounds, running = [], 0.0
    for activity_type, share in ACTIVITY_MIX:
        running += share
        bounds.append(f"when r < {running / 100:.4f} then '{activity_type}'")
    types = "case " + " ".join(bounds) + " else 'web_visit' end"
    # An event is on a day in the window, later days a little busier; 8% carry only the e-mail
    # (identified by address), 2% are anonymous visits.
    return f"""
        select
            'MA' || lpad(cast(i as varchar), 10, '0') as activity_id,
            case when who < 0.90 then lead_id(lead) end as lead_id,
            case when who < 0.98 then 'person' || lead || '@company' || (lead % {accounts}) || '.com' end as email,
            activity_type,
            iso(timestamp '{last_day}' - to_days(cast(floor(pow(u(i, 'day'), 1.3) * {days}) as bigint))
                + to_seconds(cast(u(i, 'sec') * 86399 as bigint))) as occurred_at,
            -- 40% of visits carry a tracking parameter, as real traffic does: ~90k distinct URLs
            case when activity_type = 'web_visit'
                then 'https://www.example-saas.com' || pick({_list(URL_PATHS)}, i, 'url')
                    || case when u(i, 'utm') < 0.4
                        then '?utm_campaign=c' || cast(floor(u(i, 'utc') * 5000) as bigint) else '' end
                end as url,
            case when activity_type = 'form_fill' then pick({_list(FORM_NAMES)}, i, 'frm') end as form_name,
            case when activity_type like 'email%' or activity_type like 'webinar%'
                then 'campaign-' || cast(floor(u(i, 'cmp') * 40) as bigint) end as campaign,
            cast(null as varchar) as asset,
            case when activity_type = 'email_bounce' then pick(['hard', 'soft'], i, 'bnc') end as detail
        from (
            select
                i,
                pick_lead(i, 'lead', {leads}) as lead,
                u(i, 'who') as who,
                {types.replace("r <", "u(i, 'typ') <")} as activity_type
            from range({first}, {first + count}) as t(i)
        )
    """


def _opportunities_sql(
    first: int, count: int, leads: int, accounts: int, last_day: str, days: int
) -> str:
    return f"""
        select
            'O' || lpad(cast(i as varchar), 8, '0') as opportunity_id,
            'A' || lpad(cast(lead % {accounts} as varchar), 7, '0') as account_id,
            lead_id(lead) as lead_id,
            'Deal ' || i as name,
            stage,
            cast(floor(10000 + u(i, 'amt') * 190000) as bigint) as amount,
            'U' || lpad(cast(1 + i % {USERS} as varchar), 3, '0') as owner_id,
            case when stage like 'Closed%' then 'true' else 'false' end as is_closed,
            case when stage = 'Closed Won' then 'true' else 'false' end as is_won,
            iso(created) as created_at,
            case when stage like 'Closed%' then iso(created + interval 20 day) end as closed_at,
            iso(created + case when stage like 'Closed%' then interval 20 day else interval 0 day end) as updated_at
        from (
            select
                i,
                lead,
                stage,
                -- a deal is opened after its lead was created
                greatest(
                    lead_created(lead) + interval 1 day,
                    timestamp '{last_day}' - to_days(20 + cast(u(i, 'ocr') * {max(days - 20, 0)} as bigint))
                        + to_seconds(cast(u(i, 'ocs') * 86399 as bigint))
                ) as created
            from (
                select i, pick_lead(i, 'olead', {leads}) as lead, pick({_list(STAGES)}, i, 'stg') as stage
                from range({first}, {first + count}) as t(i)
            )
        )
        where created + case when stage like 'Closed%' then interval 20 day else interval 0 day end
            < timestamp '{last_day}' + interval 1 day
    """


def _tasks_sql(first: int, count: int, leads: int, last_day: str, days: int) -> str:
    return f"""
        select
            'T' || lpad(cast(i as varchar), 9, '0') as task_id,
            lead_id(lead) as lead_id,
            'U' || lpad(cast(1 + i % {USERS} as varchar), 3, '0') as owner_id,
            pick(['call', 'email', 'meeting'], i, 'tty') as task_type,
            'Follow-up' as subject,
            pick(['completed', 'completed', 'open'], i, 'tst') as status,
            iso(occurred) as occurred_at,
            iso(occurred + interval 10 minute) as created_at,
            iso(occurred + interval 10 minute) as updated_at
        from (
            select
                i,
                lead,
                -- a task follows its lead's creation
                greatest(
                    lead_created(lead) + interval 1 hour,
                    timestamp '{last_day}' - to_days(cast(u(i, 'tday') * {days} as bigint))
                        + to_seconds(cast(u(i, 'tsec') * 86000 as bigint))
                ) as occurred
            from (select i, pick_lead(i, 'tlead', {leads}) as lead from range({first}, {first + count}) as t(i))
        )
        where occurred + interval 10 minute < timestamp '{last_day}' + interval 1 day
    """


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    ensure_data(parser.parse_args(argv).size)


if __name__ == "__main__":
    main()

"""The whole nightly job on real files in a temporary DuckDB warehouse.

The bundled sample exports are loaded together with hand-made scenario leads
(tests/fixtures/scenarios) whose scores, stages and SLA clocks were worked out by hand from
the default rules. As of Friday 2026-11-20 (end of day, UTC), an event two days old keeps
0.5 ** (2 / 30) = 95.48 % of its points in a group with a 30-day half-life (web) and
0.5 ** (2 / 60) = 97.72 % with a 60-day one (hand-raises).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from decimal import Decimal
from types import SimpleNamespace

import pytest

from tests.conftest import (
    ROOT,
    SAMPLE_LANDING,
    SCENARIOS,
    failure_messages,
    make_night,
    materialization_metadata,
    run_dbt,
    write_canonical_csv,
)

AS_OF = "2026-11-20"


@pytest.fixture(scope="module")
def night(tmp_path_factory, dbt_manifest):
    """Two runs of the same night (a re-run must change nothing), then the next night."""
    night = make_night(tmp_path_factory.mktemp("night"), SAMPLE_LANDING, SCENARIOS)
    first = night.run(AS_OF)
    assert first.success, failure_messages(first)
    night.after_first = {
        table: night.query(f"select count(*) from {table}")[0][0]
        for table in (
            "raw.crm_leads",
            "raw.marketing_activities",
            "raw.load_ledger",
            "marts.fct_lead_scores",
            "marts.fct_lead_scores_daily",
            "marts.fct_score_contributions",
            "outbound.sql_handoffs",
        )
    }
    night.first_result = first
    night.first_scores = night.records("select * from marts.fct_lead_scores order by lead_id")
    second = night.run(AS_OF)
    assert second.success, failure_messages(second)
    night.second_result = second
    return night


def lead(night, lead_id: str) -> dict:
    rows = night.records(
        "select * from marts.fct_lead_scores join marts.fct_lead_lifecycle using (lead_id) "
        "where lead_id = ?",
        [lead_id],
    )
    assert len(rows) == 1, f"{lead_id} should be scored exactly once"
    return rows[0]


def test_fitting_lead_who_requested_a_demo_is_an_sql_at_the_request(night):
    ada = lead(night, "T-SQL-DEMO")
    assert ada["current_stage"] == "sql"
    assert ada["sql_reason"] == "hand_raise:demo_request"
    assert ada["sql_at"] == dt.datetime(2026, 11, 18, 15, 0)
    # fit: executive 20 + mid-market 15 + target industry 10 + territory 10 + revenue 5
    assert ada["fit_score"] == Decimal("60.00")
    assert ada["fit_grade"] == "A"
    # engagement, two days old: demo 30 x 0.977160 + pricing 10 and product 5 x 0.954842
    assert ada["engagement_score"] == Decimal("43.63")
    assert ada["total_score"] == Decimal("103.63")
    # the pricing visit before the request already crossed the MQL bar that same day
    assert ada["mql_reason"] == "score"
    assert ada["mql_at"] == ada["sql_at"]


def test_contributions_explain_every_point(night):
    rows = night.records(
        "select rule_id, occurrences, raw_points, final_points from marts.fct_score_contributions "
        "where lead_id = 'T-SQL-DEMO' and score_kind = 'engagement' order by rule_id"
    )
    assert rows == [
        # the demo request was exported twice (same activity id): it counts once
        {
            "rule_id": "demo_request",
            "occurrences": 1,
            "raw_points": 30,
            "final_points": Decimal("29.31"),
        },
        {
            "rule_id": "pricing_page",
            "occurrences": 1,
            "raw_points": 10,
            "final_points": Decimal("9.55"),
        },
        {
            "rule_id": "product_page",
            "occurrences": 1,
            "raw_points": 5,
            "final_points": Decimal("4.77"),
        },
    ]
    mismatched = night.query(
        """
        select scores.lead_id
        from marts.fct_lead_scores as scores
        left join (
            select lead_id, sum(final_points) as explained
            from marts.fct_score_contributions group by lead_id
        ) as contributions using (lead_id)
        where coalesce(contributions.explained, 0) <> scores.total_score
        """
    )
    assert mismatched == []


def test_personal_email_lead_is_never_an_mql_but_keeps_its_score(night):
    gina = lead(night, "T-GMAIL")
    assert gina["disqualification_reason"] == "personal_email_domain"
    assert gina["current_stage"] == "disqualified"
    assert gina["mql_at"] is None
    assert gina["engagement_score"] > 40  # she did request a demo: the score stays visible
    personal_mqls = night.query(
        """
        select lifecycle.lead_id
        from marts.fct_lead_lifecycle as lifecycle
        join marts.fct_lead_scores as scores using (lead_id)
        where scores.email like '%@gmail.com' and lifecycle.mql_at is not null
        """
    )
    assert personal_mqls == []


def test_every_fitting_hand_raiser_in_the_sample_is_an_sql_or_further(night):
    missed = night.query(
        """
        select distinct activities.lead_id
        from intermediate.int_activities_matched_to_leads as activities
        join marts.fct_lead_scores as scores using (lead_id)
        join marts.fct_lead_lifecycle as lifecycle using (lead_id)
        where activities.activity_type in
              ('demo_request', 'contact_request', 'trial_request', 'quote_request', 'inbound_call')
          and not scores.is_disqualified
          and scores.fit_grade in ('A', 'B', 'C')
          and lifecycle.sql_at is null
        """
    )
    assert missed == []
    hand_raise_sqls = night.query(
        "select count(*) from marts.fct_lead_lifecycle where sql_reason like 'hand_raise:%'"
    )[0][0]
    assert hand_raise_sqls >= 5


def test_small_company_does_not_qualify_even_with_a_demo_request(night):
    dan = lead(night, "T-MICRO")
    assert dan["fit_grade"] == "D"  # 4 employees: -20
    assert dan["current_stage"] == "lead"


def test_mql_from_score_with_activity_matched_by_email(night):
    cara = lead(night, "T-MQL")
    # webinar attended 8 days before (45-day half-life: x 0.883983) + pricing page 4 days
    # before (30-day half-life: x 0.911722)
    assert cara["engagement_score"] == Decimal("22.38")
    assert cara["fit_score"] == Decimal("52.00")
    assert cara["current_stage"] == "mql"
    # the webinar event carried only the e-mail, in capitals with spaces: it still counts,
    # and on that day fit 52 + webinar 15 crossed the MQL bar of 60
    assert cara["mql_at"] == dt.datetime(2026, 11, 12, 16, 0)
    matched = night.query(
        "select lead_id, matched_by from intermediate.int_activities_matched_to_leads "
        "where activity_id = 'T-A030'"
    )
    assert matched == [("T-MQL", "email")]


def test_unidentified_activity_is_kept(night):
    rows = night.query(
        "select lead_id from intermediate.int_activities_matched_to_leads where activity_id = 'T-A099'"
    )
    assert rows == [(None,)]


def test_crm_outcomes_drive_later_stages(night):
    assert lead(night, "T-CUSTOMER")["current_stage"] == "customer"
    finn = lead(night, "T-RECYCLED")
    assert finn["crm_status"] == "unqualified"  # the later of two exported versions
    assert finn["current_stage"] == "recycled"


def test_sla_breach_for_untouched_sqls(night):
    breaches = night.records("select * from marts.rpt_sla_breaches order by lead_id")
    by_lead = {row["lead_id"]: SimpleNamespace(**row) for row in breaches}
    ada = by_lead["T-SQL-DEMO"]
    # demo request Wed 10:00 New York; 4 business hours -> due 14:00 (19:00 UTC); by Friday
    # 17:00 seven + eight + eight business hours have passed: 19 overdue, past 2x the window
    assert ada.due_at == dt.datetime(2026, 11, 18, 19, 0)
    assert ada.business_hours_overdue == Decimal("19.00")
    assert ada.tier == "escalated"
    assert ada.owner_name == "Tess Owner"
    gus = by_lead["T-SCORE-SQL"]
    # score SQL Tue 11:00 New York; 24 business hours -> due Fri 11:00; 6 overdue by 17:00
    assert gus.due_at == dt.datetime(2026, 11, 20, 16, 0)
    assert gus.business_hours_overdue == Decimal("6.00")
    assert gus.tier == "breached"
    assert "T-SQL-TOUCHED" not in by_lead
    cara = by_lead["T-MQL"]
    # an MQL since Thursday 11:00 New York nobody accepted or rejected: 48 business hours ran
    # out Friday a week later at 11:00; by 17:00 six more had passed
    assert (cara.transition, cara.tier) == ("mql", "breached")
    assert cara.due_at == dt.datetime(2026, 11, 20, 16, 0)
    assert cara.business_hours_overdue == Decimal("6.00")
    [ben] = night.records(
        "select * from marts.fct_sla_status where lead_id = 'T-SQL-TOUCHED' and transition = 'sql'"
    )
    assert ben["sla_status"] == "met"
    assert ben["business_hours_elapsed"] == Decimal("1.50")


def test_outbound_files_hold_new_sqls_and_breaches(night):
    handoff = night.output / "sql_handoffs" / f"new_sqls_{AS_OF}.csv"
    with handoff.open(newline="") as handle:
        handed = {row["lead_id"]: row for row in csv.DictReader(handle)}
    assert {"T-SQL-DEMO", "T-SCORE-SQL", "T-SQL-TOUCHED"} <= set(handed)
    assert "T-GMAIL" not in handed and "T-CUSTOMER" not in handed
    open_sqls = night.query("select count(*) from marts.rpt_new_sqls")[0][0]
    assert len(handed) == open_sqls
    report = night.output / "sla_breaches" / f"sla_breaches_{AS_OF}.csv"
    with report.open(newline="") as handle:
        reported = {row["lead_id"]: row for row in csv.DictReader(handle)}
    assert reported["T-SQL-DEMO"]["tier"] == "escalated"
    summary = report.with_suffix(".txt").read_text()
    assert f"SLA breaches as of {AS_OF}: {len(reported)} open" in summary


def test_rerunning_the_night_duplicates_nothing(night):
    for table, count in night.after_first.items():
        assert night.query(f"select count(*) from {table}")[0][0] == count, table
    assert (
        materialization_metadata(night.first_result, ["outbound", "sql_handoffs"])["new_sqls"] > 0
    )
    assert (
        materialization_metadata(night.second_result, ["outbound", "sql_handoffs"])["new_sqls"] == 0
    )
    assert materialization_metadata(night.second_result, ["raw", "crm_leads"])["rows_loaded"] == 0
    duplicates = night.query(
        "select lead_id, score_date from marts.fct_lead_scores_daily "
        "group by all having count(*) > 1"
    )
    assert duplicates == []


def test_the_next_run_reuses_dbts_parse_of_the_project(night):
    """The scoring day reaches dbt outside its vars, and each run leaves its parse for the
    next: the second run of a night (same warehouse, same files) parses nothing again."""
    runs = ROOT / "dbt_project" / "target" / "runs"
    [second] = runs.glob(f"*-{night.second_result.run_id[:8]}")
    log = (second / "dbt.log").read_text()
    assert "Partial parsing enabled, no changes found, skipping parsing" in log
    assert "Unable to do partial parsing" not in log
    # and the first run of the night did score the night's day, not the one dbt parsed with
    assert night.query("select distinct scored_as_of_date from marts.fct_lead_scores") == [
        (dt.date(2026, 11, 20),)
    ]


def test_dbt_tests_ran_as_asset_checks_and_passed(night):
    evaluations = night.first_result.get_asset_check_evaluations()
    assert len(evaluations) >= 10
    failed = [e.check_name for e in evaluations if not e.passed]
    assert failed == []


def test_dbt_unit_tests_pass(night, tmp_path, dbt_manifest):
    """The night leaves dbt's unit tests out (their inputs are fixed rows); they run here, on
    a copy of the night's warehouse, where dbt reads the column types of their inputs."""
    unit_tests = set(json.loads(dbt_manifest.read_text())["unit_tests"])
    assert len(unit_tests) >= 5
    copy = tmp_path / night.warehouse.name
    shutil.copy(night.warehouse, copy)
    results = run_dbt(copy, AS_OF, "test", "--quiet", "--select", "test_type:unit")["results"]
    assert {result["unique_id"]: result["status"] for result in results} == dict.fromkeys(
        unit_tests, "pass"
    )
    # and the night itself ran none of them, but its models and data tests
    [run] = (ROOT / "dbt_project" / "target" / "runs").glob(f"*-{night.second_result.run_id[:8]}")
    night_ran = {
        result["unique_id"].split(".")[0]
        for result in json.loads((run / "run_results.json").read_text())["results"]
    }
    assert night_ran == {"model", "test"}


def test_account_rollup_matches_leads_by_domain(night):
    [acme] = night.records("select * from marts.fct_account_scores where account_id = 'A-T1'")
    # Ada's lead has no account id; her company domain links her to Acme Robotics
    assert acme["leads"] == 1
    assert acme["engaged_leads"] == 1
    assert acme["engagement_max"] == Decimal("43.63")
    assert acme["engagement_top_n"] == Decimal("43.63")
    assert acme["personas_engaged"] == 1  # an executive (VP Engineering)
    assert acme["personas_total"] == 3
    # software 10 + mid-market 15 + territory 10 + revenue 5: the company's own fit
    assert acme["account_fit_score"] == Decimal("40.00")
    inconsistent = night.query(
        "select account_id from marts.fct_account_scores "
        "where engagement_top_n > engagement_sum or engaged_leads > leads "
        "or personas_engaged > personas_total"
    )
    assert inconsistent == []
    assert night.query("select count(*) from marts.fct_account_scores where leads > 0")[0][0] > 50


def test_first_build_keeps_history_where_it_is_read(night):
    """Every lead on the scoring day; before it (120 days, history_days), the days with scored
    events of each lead that can qualify by score (not disqualified, fit grade within the MQL
    bar: where the lifecycle looks for crossings) and every lead's creation day (calibration's
    decision day with decision_age_days 0), never before the lead existed."""
    differences = night.query(
        f"""
        with leads as (
            select lead_id, cast(created_at as date) as created_date from staging.stg_crm__leads
        ),
        can_qualify as (
            select scores.lead_id
            from marts.fct_lead_scores as scores
            cross join rules.lifecycle_thresholds as thresholds
            where not scores.is_disqualified
              and scores.fit_grade <= 'C' and thresholds.mql_max_fit_grade_rank = 3
        ),
        expected as (
            select lead_id, date '{AS_OF}' as score_date from leads
            union
            select scored.lead_id, scored.activity_date
            from intermediate.int_activities_scored as scored
            inner join leads using (lead_id)
            inner join can_qualify using (lead_id)
            where scored.activity_date >= leads.created_date
            union
            select lead_id, created_date from leads
        ),
        expected_in_range as (
            select * from expected
            where score_date between date '{AS_OF}' - 119 and date '{AS_OF}'
        ),
        history as (select lead_id, score_date from marts.fct_lead_scores_daily)
        select
            (select count(*) from (select * from history except select * from expected_in_range)),
            (select count(*) from (select * from expected_in_range except select * from history))
        """
    )
    assert differences == [(0, 0)]
    [(leads, days)] = night.query(
        "select count(distinct lead_id), count(*) from marts.fct_lead_scores_daily"
    )
    assert leads > 300 and days < leads * 30  # far fewer rows than 120 days x every lead


def test_history_scores_a_day_as_that_night_would_have(night, tmp_path):
    """The history of a first build sums decayed points with running sums per lead and rule
    (macros/engagement.sql, totals_only); a night scoring that day itself pairs each score
    with each event day instead. Both must give every lead the same engagement points, on a
    recent day and on one where e-mails have left their 30-day window, penalties have lost a
    quarter or more and half-lives have halved."""
    for first, last in (("2026-11-13", "2026-11-19"), ("2026-09-01", "2026-10-15")):
        [(day, leads)] = night.query(
            "select score_date, count(*) from marts.fct_lead_scores_daily "
            "where score_date between ? and ? group by score_date order by 2 desc, 1 limit 1",
            [first, last],
        )
        assert leads >= 20, f"too few history rows on {day} to compare"
        that_night = night.rebuilt(tmp_path / str(day), str(day), "int_engagement_contributions")
        [(compared, differing, engaged)] = that_night.query(
            """
            with direct as (
                select lead_id, sum(final_points) as engagement_points
                from intermediate.int_engagement_contributions
                group by lead_id
            )
            select
                count(*),
                count(*) filter (
                    where history.engagement_points <> coalesce(direct.engagement_points, 0)
                ),
                count(*) filter (where history.engagement_points <> 0)
            from marts.fct_lead_scores_daily as history
            left join direct using (lead_id)
            where history.score_date = ?
            """,
            [day],
        )
        assert (compared, differing) == (leads, 0), f"history and night differ on {day}"
        assert engaged > leads // 2


def test_next_night_adds_one_day_and_keeps_weekend_out_of_the_sla(night):
    result = night.run("2026-11-21")  # a Saturday
    assert result.success, failure_messages(result)
    days = night.query(
        "select score_date, count(*) from marts.fct_lead_scores_daily group by 1 order by 1 desc limit 2"
    )
    assert [d for d, _ in days] == [dt.date(2026, 11, 21), dt.date(2026, 11, 20)]
    [ada] = night.records("select * from marts.rpt_sla_breaches where lead_id = 'T-SQL-DEMO'")
    # Saturday is not a business day: still 19 business hours overdue
    assert ada["business_hours_overdue"] == Decimal("19.00")
    # each SQL is handed off once across nights
    assert materialization_metadata(result, ["outbound", "sql_handoffs"])["new_sqls"] == 0


def test_next_night_counts_the_newly_judged_as_a_fresh_count_would(night, tmp_path):
    """The shadow model's activity counts are kept from night to night: the next night counts
    only the leads judged since, and ends where counting everyone again ends."""
    features = "select * from marts.fct_calibration_features"
    fresh = night.rebuilt(tmp_path / "fresh", "2026-11-21", "int_calibration_activity_counts")
    kept = sorted(night.query(features), key=repr)
    assert kept == sorted(fresh.query(features), key=repr)
    [(judged,)] = night.query(
        "select count(*) from intermediate.int_calibration_activity_counts where feature is null"
    )
    assert judged > 150 and len(kept) > judged
    assert {lead for lead, *_ in kept} == {
        lead
        for (lead,) in night.query(
            "select lead_id from marts.fct_calibration_leads "
            "where outcome_status in ('converted', 'not_converted')"
        )
    }


def test_backfilling_a_night_reproduces_it(night):
    """After the next night ran, re-running 2026-11-20 gives exactly that night's scores."""
    result = night.run(AS_OF)
    assert result.success, failure_messages(result)
    assert (
        night.records("select * from marts.fct_lead_scores order by lead_id") == night.first_scores
    )


HOSTILE_URL_PATTERN = "*/it's; drop table raw.crm_leads; --*"
HOSTILE_INDUSTRY = "O'Reilly; DROP TABLE rules.fit_rules; --"


def test_rule_values_with_quotes_and_sql_are_data_end_to_end(tmp_path, dbt_manifest):
    """Rule values reach SQL only as joined rows: quotes, semicolons and SQL keywords in a
    pattern or a list value match literally and break nothing."""
    rules_dir = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules_dir)
    scoring = rules_dir / "scoring.yml"
    text = scoring.read_text()
    text = text.replace(
        "    - {name: careers_page,",
        f'    - {{name: sneaky_page, group: web, activity_type: web_visit, url: ["{HOSTILE_URL_PATTERN}"], points: 7}}\n'
        "    - {name: careers_page,",
        1,
    )
    text = text.replace(
        "        - name: target_industry\n",
        f'        - {{name: quoted_industry, in: ["{HOSTILE_INDUSTRY}"], points: 3}}\n'
        "        - name: target_industry\n",
        1,
    )
    scoring.write_text(text)

    night = make_night(tmp_path / "night", SCENARIOS)
    write_canonical_csv(
        night.landing / "marketing_activities_hostile.csv",
        "marketing_activities",
        [
            {
                "activity_id": "H-1",
                "lead_id": "T-MICRO",
                "activity_type": "web_visit",
                "occurred_at": "2026-11-20T10:00:00Z",
                "url": "https://www.example-saas.com/it's; DROP TABLE raw.crm_leads; --/now",
            }
        ],
    )
    write_canonical_csv(
        night.landing / "crm_leads_hostile.csv",
        "crm_leads",
        [
            {
                "lead_id": "H-LEAD",
                "email": "h@oreilly.example",
                "industry": HOSTILE_INDUSTRY,
                "created_at": "2026-11-01T00:00:00Z",
            }
        ],
    )

    result = night.run(AS_OF, rules_dir=rules_dir)
    assert result.success, failure_messages(result)
    points = dict(
        night.query(
            "select lead_id || ':' || rule_id, final_points from marts.fct_score_contributions "
            "where rule_id in ('sneaky_page', 'quoted_industry')"
        )
    )
    assert points == {
        "T-MICRO:sneaky_page": Decimal("7.00"),
        "H-LEAD:quoted_industry": Decimal("3.00"),
    }
    assert night.query("select count(*) from raw.crm_leads")[0][0] > 0
    assert night.query("select count(*) from rules.fit_rules")[0][0] > 0

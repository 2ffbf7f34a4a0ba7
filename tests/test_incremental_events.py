"""The event tables are incremental: a night takes in only what changed, and ends up exactly
where a build from scratch on the same files ends up.

Night 1 (2026-11-20) loads the hand-made scenarios plus a visit nobody can be matched to yet.
Night 2 (2026-11-21) lands what a real night brings:
  * a new visit of a known lead, and a visit from ten days ago that arrives late (it makes the
    lead's later visits "returning" ones, so the lead's other events must be rescored);
  * a second copy of an event already loaded (the first copy wins);
  * a new CRM lead whose e-mail identifies the unmatched visit, and a lead whose e-mail changed
    (the webinar matched by its old e-mail is no longer theirs);
  * a visit dated the day after night 2, which night 2 must leave out and night 3 take in.
Night 3 (2026-11-22) runs with changed rules: every event is rescored.
Each incremental night is compared, row for row, with a fresh warehouse built in one night.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess

import duckdb
import pytest

from tests.conftest import (
    ROOT,
    SCENARIOS,
    TEST_DBT_TARGET,
    failure_messages,
    make_night,
    run_dbt,
    write_canonical_csv,
)

UNMATCHED_VISIT = {
    "activity_id": "T-B001",
    "email": "late.lead@theta-robotics.com",
    "activity_type": "web_visit",
    "occurred_at": "2026-11-19T09:00:00Z",
    "url": "https://www.example-saas.com/pricing",
}
NIGHT_2_ACTIVITIES = [
    {"activity_id": "T-B010", "lead_id": "T-SQL-DEMO", "activity_type": "web_visit",
     "occurred_at": "2026-11-21T10:00:00Z", "url": "https://www.example-saas.com/pricing"},
    {"activity_id": "T-B011", "lead_id": "T-SCORE-SQL", "activity_type": "web_visit",
     "occurred_at": "2026-11-10T10:00:00Z", "url": "https://www.example-saas.com/pricing"},
    # the same event as in night 1's export, with a different page: the first copy wins
    {"activity_id": "T-A001", "lead_id": "T-SQL-DEMO", "activity_type": "web_visit",
     "occurred_at": "2026-11-18T14:00:00Z", "url": "https://www.example-saas.com/pricing"},
    {"activity_id": "T-B012", "email": "someone@elsewhere.example", "activity_type": "web_visit",
     "occurred_at": "2026-11-21T11:00:00Z", "url": "https://www.example-saas.com/blog"},
    {"activity_id": "T-B020", "lead_id": "T-SQL-DEMO", "activity_type": "web_visit",
     "occurred_at": "2026-11-22T09:00:00Z", "url": "https://www.example-saas.com/pricing"},
]  # fmt: skip
# a sales touch of an SQL still active: it only extends the SQL's pulses
NIGHT_2_TASKS = [
    {"task_id": "T-T021", "lead_id": "T-SQL-TOUCHED", "owner_id": "U901", "task_type": "call",
     "subject": "Follow-up call", "status": "completed", "occurred_at": "2026-11-21T09:00:00Z",
     "created_at": "2026-11-21T09:00:00Z", "updated_at": "2026-11-21T09:00:00Z"},
]  # fmt: skip
NIGHT_2_LEADS = [
    {"lead_id": "T-LATE", "email": "late.lead@theta-robotics.com", "company": "Theta Robotics",
     "domain": "theta-robotics.com", "industry": "Software", "employees": "400",
     "country": "United States", "status": "new",
     "created_at": "2026-11-21T08:00:00Z", "updated_at": "2026-11-21T08:00:00Z"},
    {"lead_id": "T-MQL", "email": "cara@gamma-energy.net", "company": "Gamma Energy",
     "domain": "gamma-energy.com", "industry": "Energy", "employees": "300", "country": "Canada",
     "status": "new", "created_at": "2026-11-01T10:00:00Z",
     "updated_at": "2026-11-21T09:00:00Z"},
]  # fmt: skip

# run bookkeeping, which differs between an incremental night and a fresh build by design
MATCHED = (
    "select * exclude (_matched_at, _loaded_at, previous_lead_id) "
    "from intermediate.int_activities_matched_to_leads"
)
SCORED = "select * exclude (_matched_at, _scored_at) from intermediate.int_activities_scored"
LEAD_SCORES = "select * from marts.fct_lead_scores"
CONTRIBUTIONS = "select * from marts.fct_score_contributions"
FIT = "select * from intermediate.int_fit_contributions"
# a kind of activity no event has, added after night 1 (see the `nights` fixture)
TAG_KIND = "https://tag.example/kept"
KINDS = f"select * from intermediate.int_activity_kinds where url is distinct from '{TAG_KIND}'"
PULSE_GAPS = "select * from intermediate.int_lifecycle_pulse_gaps"
HAND_RAISES = "select * exclude (_matched_at) from intermediate.int_hand_raises"
COMPARED = (MATCHED, SCORED, LEAD_SCORES, CONTRIBUTIONS, FIT, KINDS, PULSE_GAPS, HAND_RAISES)
# the hand-raising events as the matched events hold them now
HAND_RAISES_OF_MATCHED = (
    "select activity_id, lead_id, activity_type, occurred_at "
    "from intermediate.int_activities_matched_to_leads "
    "where activity_type in (select activity_type from rules.lifecycle_activity_types "
    "where role = 'hand_raise')"
)


def land_night_1(night) -> None:
    write_canonical_csv(
        night.landing / "marketing_activities_update_2026-11-20.csv",
        "marketing_activities",
        [UNMATCHED_VISIT],
    )


def land_night_2(night) -> None:
    # named to sort after the scenario export: a build of all files in one night keeps the
    # scenario's copy of T-A001 too (copies loaded together are taken in file order)
    write_canonical_csv(
        night.landing / "marketing_activities_update_2026-11-21.csv",
        "marketing_activities",
        NIGHT_2_ACTIVITIES,
    )
    write_canonical_csv(
        night.landing / "crm_leads_update_2026-11-21.csv", "crm_leads", NIGHT_2_LEADS
    )
    write_canonical_csv(
        night.landing / "crm_tasks_update_2026-11-21.csv", "crm_tasks", NIGHT_2_TASKS
    )


def run(night, as_of: str, rules_dir=None) -> None:
    result = night.run(as_of, rules_dir=rules_dir)
    assert result.success, failure_messages(result)


def rows(night, sql: str) -> list[tuple]:
    return sorted(night.query(sql), key=repr)


@pytest.fixture(scope="module")
def changed_rules(tmp_path_factory):
    """The default rules with the pricing page worth 11 points instead of 10."""
    rules_dir = tmp_path_factory.mktemp("rules") / "rules"
    shutil.copytree(ROOT / "rules", rules_dir)
    scoring = rules_dir / "scoring.yml"
    text = scoring.read_text()
    old = "page_category: [pricing], points: 10,"
    assert text.count(old) == 1
    scoring.write_text(text.replace(old, "page_category: [pricing], points: 11,"))
    return rules_dir


@pytest.fixture(scope="module")
def nights(tmp_path_factory, dbt_manifest):
    incremental = make_night(tmp_path_factory.mktemp("incremental"), SCENARIOS)
    land_night_1(incremental)
    run(incremental, "2026-11-20")
    incremental.stamps_after_night_1 = {
        activity_id: stamp
        for activity_id, stamp in incremental.query(
            "select activity_id, _matched_at from intermediate.int_activities_matched_to_leads"
        )
    }
    # Tag every scored row of night 1 (a microsecond after its real stamp, so the night still
    # finds exactly the events matched after night 1): a row night 2 rescores gets its event's
    # stamp back, a row it leaves alone keeps the tag. _matched_at is bookkeeping, left out of
    # the comparisons with a fresh build. The stage history is tagged the same way, in its
    # rules_version (which nothing compared reads): a lead night 2 rebuilds loses the tag.
    # The kinds of activity get a kind no event has: a night that only adds kinds keeps it.
    with duckdb.connect(str(incremental.warehouse)) as connection:
        connection.execute(
            "update intermediate.int_activities_scored "
            "set _matched_at = _matched_at + interval 1 microsecond"
        )
        connection.execute("update marts.fct_lifecycle_stage_changes set rules_version = 'night 1'")
        connection.execute(
            "insert into intermediate.int_activity_kinds (activity_type, url, rule_id, "
            "group_id, is_candidate, group_candidates) "
            f"values ('web_visit', '{TAG_KIND}', 'pricing_page', 'web', true, 1)"
        )
    land_night_2(incremental)
    run(incremental, "2026-11-21")

    fresh = make_night(tmp_path_factory.mktemp("fresh"), SCENARIOS)
    land_night_1(fresh)
    land_night_2(fresh)
    run(fresh, "2026-11-21")
    return incremental, fresh


def test_incremental_night_matches_a_fresh_build(nights):
    incremental, fresh = nights
    for sql in COMPARED:
        assert rows(incremental, sql) == rows(fresh, sql), sql


def test_incremental_night_matches_only_what_changed(nights):
    incremental, _ = nights
    before = incremental.stamps_after_night_1
    changed = {
        activity_id: (lead_id, previous_lead_id)
        for activity_id, lead_id, previous_lead_id, stamp in incremental.query(
            "select activity_id, lead_id, previous_lead_id, _matched_at "
            "from intermediate.int_activities_matched_to_leads"
        )
        if before.get(activity_id) != stamp
    }
    assert changed == {
        "T-B010": ("T-SQL-DEMO", None),
        "T-B011": ("T-SCORE-SQL", None),
        "T-B012": (None, None),
        # identified by the new lead's e-mail
        "T-B001": ("T-LATE", None),
        # matched by T-MQL's old e-mail, which T-MQL no longer has
        "T-A030": (None, "T-MQL"),
    }
    # the first copy of T-A001 stays; the visit dated after the night waits for its night
    assert incremental.query(
        "select url from intermediate.int_activities_matched_to_leads where activity_id = 'T-A001'"
    ) == [("https://www.example-saas.com/product",)]


def test_kept_event_keys_cover_every_key_an_event_carries(nights):
    """A night looks through the events for ones to match again only when a changed CRM id or
    e-mail is among the keys kept beside them: a key missing there would leave its events with
    the wrong lead. The first build lists exactly the events' keys; night 2 added its own."""
    carried = (
        "select 'crm_id', crm_lead_id from intermediate.int_activities_matched_to_leads "
        "where crm_lead_id is not null union "
        "select 'email', email from intermediate.int_activities_matched_to_leads "
        "where email is not null"
    )
    kept = "select * from intermediate.int_activities_matched_to_leads__event_keys"
    incremental, fresh = nights
    assert set(fresh.query(kept)) == set(fresh.query(carried))
    assert set(incremental.query(carried)) <= set(incremental.query(kept))
    assert ("email", "someone@elsewhere.example") in set(incremental.query(kept))


def test_activity_kinds_are_only_added_to(nights):
    """Night 2 matched only the kinds of its new events: the kinds listed before stay, the
    tagged one included (a rebuild would have dropped it), and the rest equals a fresh build
    (test_incremental_night_matches_a_fresh_build)."""
    incremental, _ = nights
    assert incremental.query(
        f"select rule_id from intermediate.int_activity_kinds where url = '{TAG_KIND}'"
    ) == [("pricing_page",)]


def test_a_full_build_writes_the_events_in_date_order(nights):
    """The nights read events by day (frequency windows, days whose decay steps); DuckDB
    skips the row groups of other days only when the rows are stored in date order."""
    _, fresh = nights
    for table in ("int_activities_matched_to_leads", "int_activities_scored"):
        out_of_order = fresh.query(
            "select count(*) from (select activity_date, lag(activity_date) over "
            f"(order by rowid) as previous_date from intermediate.{table}) "
            "where activity_date < previous_date"
        )
        assert out_of_order == [(0,)], table
        assert fresh.query(
            f"select count(distinct activity_date) > 5 from intermediate.{table}"
        ) == [(True,)]


def test_uniqueness_check_catches_a_copy_written_by_a_later_run(nights, tmp_path):
    """A night checks only its own rows for duplicates (stamped_by), reading just the row
    groups within its ids' bounds: a copy of an event matched on night 1 that a later run
    writes again must still fail the check."""
    incremental, _ = nights
    copy = tmp_path / incremental.warehouse.name
    shutil.copy(incremental.warehouse, copy)
    with duckdb.connect(str(copy)) as connection:
        connection.execute(
            "insert into intermediate.int_activities_matched_to_leads "
            "select * replace ((select max(_matched_at) "
            "from intermediate.int_activities_matched_to_leads) as _matched_at) "
            "from intermediate.int_activities_matched_to_leads where activity_id = 'T-A001'"
        )
    with pytest.raises(subprocess.CalledProcessError):
        run_dbt(copy, "2026-11-21", "test", "--quiet", "--select",
                "int_activities_matched_to_leads,test_name:unique_combination_of_columns")  # fmt: skip
    [result] = json.loads((TEST_DBT_TARGET / "run_results.json").read_text())["results"]
    assert (result["status"], result["failures"]) == ("fail", 1)


def test_engagement_sums_carry_on_from_the_night_before(nights, tmp_path):
    """The engagement rows' build record says what night 2's sums stand for, and the next
    night carries them on (reads only the stepping days) while a re-run of night 2 computes
    every lead afresh. A record that never matched would only make every night slow."""
    incremental, _ = nights
    assert incremental.query(
        "select record.as_of, record.rules_version = rules.rules_version, "
        "record.matched_until = (select max(_matched_at) "
        "from intermediate.int_activities_matched_to_leads) "
        "from intermediate.int_engagement_contributions__build as record "
        "cross join rules.rules_version as rules"
    ) == [(dt.date(2026, 11, 21), True, True)]
    copy = tmp_path / incremental.warehouse.name
    shutil.copy(incremental.warehouse, copy)
    for as_of, carried in (("2026-11-22", True), ("2026-11-21", False)):
        run_dbt(copy, as_of, "compile", "--quiet", "--select", "int_engagement_contributions")
        compiled = next(TEST_DBT_TARGET.glob("compiled/**/int_engagement_contributions.sql"))
        assert ("carried as (" in compiled.read_text()) == carried, as_of


def test_kept_hand_raises_are_those_of_the_matched_events(nights):
    """Night 2 added its hand-raises to those kept and replaced the rows of events matched
    again: the kept rows are what the matched events hold, with the lead they have now."""
    incremental, _ = nights
    assert rows(incremental, HAND_RAISES) == rows(incremental, HAND_RAISES_OF_MATCHED)
    assert incremental.query(
        "select activity_id, lead_id from intermediate.int_hand_raises "
        "where lead_id = 'T-SQL-DEMO' and activity_type = 'demo_request'"
    ), "the scenario's demo request is kept"


def test_late_event_rescores_the_leads_other_events(nights):
    incremental, _ = nights
    bursts = incremental.query(
        "select activity_id, rule_id from intermediate.int_activities_scored "
        "where lead_id = 'T-SCORE-SQL' and group_id = 'intent_bursts' order by activity_id"
    )
    # The late 2026-11-10 visit is the lead's first: the visits of 2026-11-17 now come back
    # on a later day. The third page visit within a week earns the burst bonus, the first
    # rule of the group, instead.
    assert bursts == [
        ("T-A072", "returning_visitor"),
        ("T-A073", "returning_visitor"),
        ("T-A074", "product_interest_burst"),
    ]


# Each lead's kept frequency counts, and the same counted again from its events: every event
# before the lead's counted_before that matches a rule with a frequency condition.
KEPT_COUNTS = """
    select lead_id, rule_id, events, first_date
    from intermediate.int_activities_scored__frequency_counts where rule_id is not null
"""
RECOUNTED = """
    select events.lead_id, kinds.rule_id, count(*), min(events.activity_date)
    from intermediate.int_activities_matched_to_leads as events
    inner join intermediate.int_activities_scored__frequency_counts as markers
        on markers.lead_id = events.lead_id and markers.rule_id is null
    inner join intermediate.int_activity_kinds as kinds
        on kinds.activity_type = events.activity_type
        and kinds.detail is not distinct from events.detail
        and kinds.url is not distinct from lower(events.url)
        and kinds.form_name is not distinct from lower(events.form_name)
        and kinds.campaign is not distinct from lower(events.campaign)
        and kinds.asset is not distinct from lower(events.asset)
    inner join rules.engagement_rules as rules on rules.rule_id = kinds.rule_id
    where rules.frequency_mode <> 'every_time' and events.occurred_at < markers.counted_before
    group by all
"""


def test_kept_frequency_counts_are_what_a_recount_gives(nights):
    """A night reads only the events in its leads' frequency windows; what came before is in
    the kept counts, which night 2 carried on (late event, re-matched events, new leads)."""
    incremental, fresh = nights
    for night in (incremental, fresh):
        assert rows(night, KEPT_COUNTS) == rows(night, RECOUNTED)
        # every lead with events has its marker: one without has no events before tonight's
        assert (
            night.query(
                "select distinct lead_id from intermediate.int_activities_matched_to_leads "
                "where lead_id is not null and lead_id not in (select lead_id from "
                "intermediate.int_activities_scored__frequency_counts where rule_id is null)"
            )
            == []
        )
    # the lead with the late visit was counted again, up to where its windows start now
    [(counted_before,)] = incremental.query(
        "select counted_before from intermediate.int_activities_scored__frequency_counts "
        "where lead_id = 'T-SCORE-SQL' and rule_id is null"
    )
    assert counted_before == dt.datetime(2026, 11, 10) - dt.timedelta(days=7)
    # a lead night 2 did not touch keeps night 1's counts, up to the end of night 1 - 7 days
    assert incremental.query(
        "select distinct counted_before from intermediate.int_activities_scored__frequency_counts "
        "where lead_id = 'T-GMAIL' and rule_id is null"
    ) == [(dt.datetime(2026, 11, 14),)]


def test_night_rescores_a_lead_only_from_its_first_changed_event(nights):
    incremental, _ = nights
    night_1 = incremental.stamps_after_night_1
    # one entry per event (its rows in every group agree) or the set shows both
    kept_or_rescored = {
        (lead_id, activity_id, stamp == night_1[activity_id] + dt.timedelta(microseconds=1))
        for lead_id, activity_id, stamp in incremental.query(
            "select lead_id, activity_id, _matched_at from intermediate.int_activities_scored "
            "where lead_id in ('T-SQL-DEMO', 'T-SCORE-SQL') and activity_id in ("
            "'T-A001', 'T-A002', 'T-A072', 'T-A073', 'T-A074')"
        )
    }
    assert kept_or_rescored == {
        # T-SQL-DEMO's new visit is of 2026-11-21: its events of 2026-11-18 stay as they were
        ("T-SQL-DEMO", "T-A001", True),
        ("T-SQL-DEMO", "T-A002", True),
        # T-SCORE-SQL's late visit is of 2026-11-10: its visits of 2026-11-17 are rescored
        ("T-SCORE-SQL", "T-A072", False),
        ("T-SCORE-SQL", "T-A073", False),
        ("T-SCORE-SQL", "T-A074", False),
    }


def test_lead_that_lost_its_event_loses_its_points(nights):
    incremental, _ = nights
    assert incremental.query(
        "select count(*) from intermediate.int_activities_scored where activity_id = 'T-A030'"
    ) == [(0,)]
    assert incremental.query(
        "select lead_id from intermediate.int_activities_scored where activity_id = 'T-B001'"
    ) == [("T-LATE",)]


def test_stage_history_rebuilds_only_what_changed(nights, tmp_path_factory):
    """The incremental stage history equals a rebuild from scratch on the same inputs (not a
    fresh warehouse: the score history it reads is point in time, as each night saw it)."""
    incremental, _ = nights
    rebuilt = incremental.rebuilt(
        tmp_path_factory.mktemp("rebuilt"), "2026-11-21", "fct_lifecycle_stage_changes"
    )
    stage_changes = "select * exclude (rules_version) from marts.fct_lifecycle_stage_changes"
    assert rows(incremental, stage_changes) == rows(rebuilt, stage_changes)
    rebuilt_leads = {
        lead_id
        for (lead_id,) in incremental.query(
            "select distinct lead_id from marts.fct_lifecycle_stage_changes "
            "where rules_version <> 'night 1'"
        )
    }
    assert rebuilt_leads == {
        "T-LATE",  # new
        "T-MQL",  # lost the webinar matched by its old e-mail
        # SQLs with a new and a late visit: their score crossings changed
        "T-SQL-DEMO",
        "T-SCORE-SQL",
        # not T-SQL-TOUCHED: tonight's sales touch only moved the last pulse of an active SQL
    }
    assert incremental.query(
        "select gap_kind, gap_from, gap_to from intermediate.int_lifecycle_pulse_gaps "
        "where lead_id = 'T-SQL-TOUCHED' order by gap_kind"
    ) == [
        ("first", None, dt.datetime(2026, 11, 19, 14, 0)),
        ("last", dt.datetime(2026, 11, 21, 9, 0), None),
    ]


def test_lifecycle_signals_recompute_only_what_changed(nights, tmp_path_factory):
    """The night's lifecycle signals equal a rebuild from scratch on the same inputs, and the
    night wrote only the rows of the leads whose events, fit or CRM records changed."""
    incremental, _ = nights
    rebuilt = incremental.rebuilt(
        tmp_path_factory.mktemp("rebuilt_signals"), "2026-11-21", "int_lifecycle_signals"
    )
    signals = "select * exclude (_built_at) from intermediate.int_lifecycle_signals"
    assert rows(incremental, signals) == rows(rebuilt, signals)
    written = incremental.query(
        "select lead_id, signal, signal_at, reason from intermediate.int_lifecycle_signals "
        "where _built_at = (select max(_built_at) from intermediate.int_lifecycle_signals) "
        "order by lead_id, signal_at, signal"
    )
    assert written == [
        # lost the webinar of 2026-11-12 matched by its old e-mail, and its fit grade fell
        # with the new e-mail: all its rows, the score crossing before the webinar kept as is
        ("T-MQL", "mql", dt.datetime(2026, 11, 16, 15, 0), "score"),
        # the late visit of 2026-11-10: its rows from that day on
        ("T-SCORE-SQL", "mql", dt.datetime(2026, 11, 17, 16, 0), "score"),
        ("T-SCORE-SQL", "sql", dt.datetime(2026, 11, 17, 16, 0), "score"),
        # the new visit of 2026-11-21: only that day (its crossings of 2026-11-18 stay)
        ("T-SQL-DEMO", "mql", dt.datetime(2026, 11, 21, 10, 0), "score"),
        ("T-SQL-DEMO", "sql", dt.datetime(2026, 11, 21, 10, 0), "score"),
    ]


def test_changed_rules_rescore_every_event(nights, changed_rules, tmp_path_factory):
    incremental, _ = nights
    # fit rows of a lead the CRM no longer has (merged into another record, say)
    with duckdb.connect(str(incremental.warehouse)) as connection:
        connection.execute(
            "insert into intermediate.int_fit_contributions "
            "select entity_kind, 'T-GONE', field, rule_id, field_value, fit_points, _values_digest "
            "from intermediate.int_fit_contributions where entity_id = 'T-MQL'"
        )
    run(incremental, "2026-11-22", rules_dir=changed_rules)
    assert incremental.query(
        "select count(*) from intermediate.int_fit_contributions where entity_id = 'T-GONE'"
    ) == [(0,)]
    fresh = make_night(tmp_path_factory.mktemp("fresh_rules"), SCENARIOS)
    land_night_1(fresh)
    land_night_2(fresh)
    run(fresh, "2026-11-22", rules_dir=changed_rules)

    for sql in COMPARED:
        assert rows(incremental, sql) == rows(fresh, sql), sql
    # new rules: every kind of activity is matched again (the tagged one, which no event
    # has, is gone), every lead's signals are recomputed, and its stage history rebuilt (none
    # keeps night 1's tag)
    assert incremental.query(
        f"select count(*) from intermediate.int_activity_kinds where url = '{TAG_KIND}'"
    ) == [(0,)]
    assert incremental.query(
        "select count(distinct _built_at) from intermediate.int_lifecycle_signals"
    ) == [(1,)]
    assert incremental.query(
        "select count(*) from marts.fct_lifecycle_stage_changes where rules_version = 'night 1'"
    ) == [(0,)]
    # the visit loaded in night 2 but dated 2026-11-22 is in, at the new price
    assert incremental.query(
        "select points from intermediate.int_activities_scored "
        "where activity_id = 'T-B020' and rule_id = 'pricing_page'"
    ) == [(11,)]
    assert incremental.query(
        "select count(distinct rules_version) from intermediate.int_activities_scored"
    ) == [(1,)]


def test_rerun_of_an_earlier_night_lists_only_the_kinds_of_its_events(tmp_path, dbt_manifest):
    """Re-running 2026-11-21 after 2026-11-22 drops the events of 2026-11-22, so the kinds of
    activity are matched again: a kind only a dropped event had is not listed."""
    night = make_night(tmp_path / "night", SCENARIOS)
    new_page = "https://www.example-saas.com/pricing/only-on-the-22nd"
    write_canonical_csv(
        night.landing / "marketing_activities_update_2026-11-22.csv",
        "marketing_activities",
        [{"activity_id": "T-C001", "lead_id": "T-SQL-DEMO", "activity_type": "web_visit",
          "occurred_at": "2026-11-22T09:00:00Z", "url": new_page}],
    )  # fmt: skip
    kind = f"select count(*) from intermediate.int_activity_kinds where url = '{new_page}'"
    run(night, "2026-11-22")
    assert night.query(kind)[0][0] > 0
    run(night, "2026-11-21")
    assert night.query(kind) == [(0,)]

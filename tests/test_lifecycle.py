"""Lifecycle and SLA over several nights: replay day by day and check the exact stage history
and SLA clocks of named leads (tests/fixtures/lifecycle), worked out by hand from the default
rules (hand-raise SQL: 4 business hours, other SQLs 24, MQL accept or reject 48; an SQL with
no engagement and no sales touch for 30 days is recycled; business hours 09:00-17:00
Monday to Friday in the owner's time zone; Thanksgiving 26-27 November is a holiday).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import failure_messages, make_night

LIFECYCLE = Path(__file__).resolve().parent / "fixtures" / "lifecycle"
NIGHTS = ("2026-11-18", "2026-11-19", "2026-11-20", "2026-11-27", "2026-11-30")
STAGE_CHANGES = "select * from marts.fct_lifecycle_stage_changes order by lead_id, change_number"


@pytest.fixture(scope="module")
def nights(tmp_path_factory, dbt_manifest):
    """Run each night in turn on the same warehouse; keep what each night said."""
    night = make_night(tmp_path_factory.mktemp("lifecycle"), LIFECYCLE)
    seen = {}
    for as_of in NIGHTS:
        result = night.run(as_of)
        assert result.success, failure_messages(result)
        rebuilt = night.rebuilt(
            tmp_path_factory.mktemp(f"rebuilt_{as_of}"), as_of, "fct_lifecycle_stage_changes"
        )
        seen[as_of] = {
            "changes": night.records(
                "select lead_id, from_stage, to_stage, changed_at, reason "
                "from marts.fct_lifecycle_stage_changes order by lead_id, change_number"
            ),
            "all_changes": night.query(STAGE_CHANGES),
            "rebuilt_changes": rebuilt.query(STAGE_CHANGES),
            "lifecycle": {
                row["lead_id"]: row
                for row in night.records("select * from marts.fct_lead_lifecycle")
            },
            "clocks": night.records(
                "select * from marts.fct_sla_status order by lead_id, started_at, transition"
            ),
            "breaches": {
                (row["lead_id"], row["transition"]): row
                for row in night.records("select * from marts.rpt_sla_breaches")
            },
        }
    return seen


def history(night: dict, lead_id: str) -> list[tuple]:
    return [
        (row["from_stage"], row["to_stage"], row["changed_at"], row["reason"])
        for row in night["changes"]
        if row["lead_id"] == lead_id
    ]


def clocks(night: dict, lead_id: str) -> list[dict]:
    return [row for row in night["clocks"] if row["lead_id"] == lead_id]


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts)


def test_each_nights_stage_history_equals_a_rebuild_from_scratch(nights):
    """Incremental: a night rebuilds only leads whose inputs changed and SQLs that idle time
    can recycle (as L-REQUAL on 19 November, with nothing new), and ends where a rebuild on
    the same inputs ends."""
    for as_of in NIGHTS:
        assert nights[as_of]["all_changes"] == nights[as_of]["rebuilt_changes"], as_of


def test_inactive_sql_is_recycled_and_qualifies_again(nights):
    # 18 Nov: an SQL since 20 Oct, untouched: its 4-hour clock is long escalated
    assert nights["2026-11-18"]["lifecycle"]["L-REQUAL"]["current_stage"] == "sql"
    assert nights["2026-11-18"]["breaches"][("L-REQUAL", "sql")]["tier"] == "escalated"
    # 19 Nov: 30 days without engagement or a sales touch since the demo request -> recycled
    recycled = nights["2026-11-19"]["lifecycle"]["L-REQUAL"]
    assert (recycled["current_stage"], recycled["recycle_reason"]) == ("recycled", "inactive_sql")
    assert recycled["recycled_at"] == at(2026, 11, 19, 15, 0)
    assert ("L-REQUAL", "sql") not in nights["2026-11-19"]["breaches"]
    [first_clock] = clocks(nights["2026-11-19"], "L-REQUAL")[1:]
    assert first_clock["sla_status"] == "closed_without_touch"
    # 20 Nov: a new demo request qualifies it again: the full history, in order
    assert history(nights["2026-11-20"], "L-REQUAL") == [
        (None, "lead", at(2026, 10, 1, 12, 0), "created"),
        ("lead", "mql", at(2026, 10, 20, 15, 0), "score"),
        ("mql", "sql", at(2026, 10, 20, 15, 0), "hand_raise:demo_request"),
        ("sql", "recycled", at(2026, 11, 19, 15, 0), "inactive_sql"),
        ("recycled", "mql", at(2026, 11, 20, 14, 0), "score"),
        ("mql", "sql", at(2026, 11, 20, 14, 0), "hand_raise:demo_request"),
    ]
    again = nights["2026-11-20"]["lifecycle"]["L-REQUAL"]
    assert (again["current_stage"], again["sql_count"], again["mql_count"]) == ("sql", 2, 2)
    assert again["first_sql_at"] == at(2026, 10, 20, 15, 0)
    assert again["sql_at"] == at(2026, 11, 20, 14, 0)
    # the new SQL's clock: 09:00 New York, due 13:00 (18:00 UTC); by 17:00, 8 hours: 2x the window
    breach = nights["2026-11-20"]["breaches"][("L-REQUAL", "sql")]
    assert breach["due_at"] == at(2026, 11, 20, 18, 0)
    assert (breach["business_hours_overdue"], breach["tier"]) == (Decimal("4.00"), "escalated")


def test_business_hours_follow_the_owners_time_zone_across_a_dst_change(nights):
    # Contact request Friday 23 Oct 16:00 London (BST, UTC+1): one business hour that day.
    # Clocks go back on Sunday 25 Oct; Monday 09:00-12:00 GMT gives the other three, so the
    # window ends Monday 12:00 GMT = 12:00 UTC. The call at 11:30 UTC is inside it (3.5 h).
    [mql_clock, sql_clock] = clocks(nights["2026-11-20"], "L-LDN-DST")
    assert mql_clock["sla_status"] == "advanced"  # the hand-raise made it an SQL at once
    assert sql_clock["time_zone"] == "Europe/London"
    assert sql_clock["due_at"] == at(2026, 10, 26, 12, 0)
    assert sql_clock["first_touch_at"] == at(2026, 10, 26, 11, 30)
    assert sql_clock["business_hours_elapsed"] == Decimal("3.50")
    assert sql_clock["sla_status"] == "met"
    # 30 days after that call, with nothing since, it goes back to nurture
    later = nights["2026-11-27"]["lifecycle"]["L-LDN-DST"]
    assert (later["current_stage"], later["recycled_at"]) == ("recycled", at(2026, 11, 25, 11, 30))


def test_holidays_and_weekends_stop_the_clock(nights):
    # Demo request Wednesday 25 Nov 15:00 Los Angeles: two business hours that day, then
    # Thanksgiving (Thursday, Friday) and the weekend. Friday night: 2 of 4 hours used.
    [sql_clock] = [
        c for c in clocks(nights["2026-11-27"], "L-LA-HOLIDAY") if c["transition"] == "sql"
    ]
    assert sql_clock["time_zone"] == "America/Los_Angeles"
    assert sql_clock["due_at"] == at(2026, 11, 30, 19, 0)  # Monday 11:00 PST
    assert (sql_clock["business_hours_elapsed"], sql_clock["sla_status"]) == (
        Decimal("2.00"),
        "at_risk",
    )
    assert ("L-LA-HOLIDAY", "sql") not in nights["2026-11-27"]["breaches"]
    # Monday night (16:00 PST at the end of the UTC day): 2 + 7 hours, 5 overdue, escalated
    breach = nights["2026-11-30"]["breaches"][("L-LA-HOLIDAY", "sql")]
    assert (breach["business_hours_overdue"], breach["tier"]) == (Decimal("5.00"), "escalated")
    assert breach["owner_name"] == "Lana Angel"


def test_mql_accepted_in_the_crm_becomes_an_sql_and_both_clocks_are_met(nights):
    assert history(nights["2026-11-20"], "L-ACCEPT") == [
        (None, "lead", at(2026, 11, 1, 12, 0), "created"),
        # webinar attended: fit 60 + 15 crosses the MQL bar
        ("lead", "mql", at(2026, 11, 16, 16, 0), "score"),
        # sales set the lead to `working` in the CRM
        ("mql", "sql", at(2026, 11, 17, 14, 0), "accepted:working"),
    ]
    mql_clock, sql_clock = clocks(nights["2026-11-20"], "L-ACCEPT")
    # MQL Monday 11:00 New York, accepted Tuesday 09:00: six business hours of 48
    assert (mql_clock["transition"], mql_clock["first_touch_source"]) == (
        "mql",
        "crm_status_change",
    )
    assert (mql_clock["business_hours_elapsed"], mql_clock["sla_status"]) == (
        Decimal("6.00"),
        "met",
    )
    # SQL Tuesday 09:00, first call Wednesday 10:00: nine business hours of 24
    assert (sql_clock["transition"], sql_clock["segment"]) == ("sql", "accepted")
    assert (sql_clock["business_hours_elapsed"], sql_clock["sla_status"]) == (
        Decimal("9.00"),
        "met",
    )


def test_stage_on_any_past_date_is_answerable(nights):
    changes = nights["2026-11-30"]["changes"]

    def stage_on(lead_id: str, instant: dt.datetime) -> str:
        rows = [r for r in changes if r["lead_id"] == lead_id and r["changed_at"] <= instant]
        return rows[-1]["to_stage"]

    assert stage_on("L-REQUAL", at(2026, 11, 1)) == "sql"
    assert stage_on("L-REQUAL", at(2026, 11, 19, 23)) == "recycled"
    assert stage_on("L-REQUAL", at(2026, 11, 21)) == "sql"
    # later nights only add to the history: nothing an earlier night recorded is rewritten
    latest = {tuple(r.values()) for r in changes}
    for as_of in NIGHTS[:-1]:
        assert {tuple(r.values()) for r in nights[as_of]["changes"]} <= latest


def test_sql_after_sales_handed_the_lead_back_starts_a_new_cycle(nights):
    # MQL on the webinar, handed back by sales the next day, then a demo request: the SQL
    # belongs to the new cycle, once, and never follows the recycle without an MQL
    assert history(nights["2026-11-20"], "L-EDGE") == [
        (None, "lead", at(2026, 11, 1, 12, 0), "created"),
        ("lead", "mql", at(2026, 11, 9, 15, 0), "score"),
        ("mql", "recycled", at(2026, 11, 10, 15, 0), "handed_back:unqualified"),
        ("recycled", "mql", at(2026, 11, 12, 15, 0), "score"),
        ("mql", "sql", at(2026, 11, 12, 15, 0), "hand_raise:demo_request"),
    ]


def test_a_deal_older_than_its_crm_lead_is_not_a_step_back(nights):
    # the CRM record was created after its opportunity: the lead is known from its first trace
    assert history(nights["2026-11-20"], "L-EARLYDEAL") == [
        (None, "lead", at(2026, 11, 5, 10, 0), "created"),
        ("lead", "opportunity", at(2026, 11, 5, 10, 0), "opportunity:O-EARLY"),
    ]

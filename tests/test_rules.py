"""Rules validation: the default rules load; every mistake gets a message naming where and what."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from orchestration.rules import RulesError, business_calendar, glob_to_like, load_rules, rule_tables

RULES = Path(__file__).resolve().parent.parent / "rules"


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


def edit(rules_dir: Path, name: str, old: str, new: str) -> None:
    path = rules_dir / name
    text = path.read_text()
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1))


def test_default_rules_follow_the_domain_defaults():
    rules = load_rules(RULES)
    points = {rule.name: rule.points for rule in rules.scoring.engagement.rules}
    assert points["demo_attended"] == 30
    assert points["inbound_call"] == 20
    assert points["webinar_registered"] == 10
    assert points["product_page"] == 5
    assert points["blog_post"] == 1
    assert rules.lifecycle.mql.min_total_score == 60
    assert "gmail.com" in rules.personal_domains["personal_email_domain"]
    assert len(rules.version) == 12


def test_version_changes_with_any_rule_file(rules_dir):
    before = load_rules(rules_dir).version
    with (rules_dir / "personal_email_domains.txt").open("a") as handle:
        handle.write("example-webmail.com\n")
    assert load_rules(rules_dir).version != before


def test_unknown_key_names_file_line_and_rule(rules_dir):
    edit(
        rules_dir,
        "scoring.yml",
        "      points: 10\n      max_points: 30\n",
        "      points: 10\n      max_point: 30\n",
    )
    with pytest.raises(RulesError) as error:
        load_rules(rules_dir)
    message = str(error.value)
    assert "scoring.yml:" in message
    assert "(rule 'content_download')" in message
    assert "max_point" in message and "unknown key" in message
    line = int(message.split("scoring.yml:")[1].split(":")[0])
    assert "max_point: 30" in (rules_dir / "scoring.yml").read_text().splitlines()[line - 1]


def test_wrong_type_says_what_was_expected(rules_dir):
    edit(
        rules_dir,
        "scoring.yml",
        "{name: inbound_call, group: hand_raise, activity_type: inbound_call, points: 20}",
        "{name: inbound_call, group: hand_raise, activity_type: inbound_call, points: lots}",
    )
    with pytest.raises(
        RulesError,
        match=r"engagement.rules\[\d+\].points \(rule 'inbound_call'\): .*valid integer.*'lots'",
    ):
        load_rules(rules_dir)


def test_unknown_activity_type(rules_dir):
    edit(rules_dir, "scoring.yml", "activity_type: demo_attended", "activity_type: demo_attend")
    with pytest.raises(RulesError, match=r"activity_type.*'demo_attend'"):
        load_rules(rules_dir)


def test_unknown_time_zone_and_unquoted_time(rules_dir):
    edit(rules_dir, "sla.yml", "time_zone: America/New_York", "time_zone: Mars/Olympus")
    # YAML 1.1 reads an unquoted 9:00 as the number 540
    edit(rules_dir, "sla.yml", 'opens: "09:00"', "opens: 9:00")
    with pytest.raises(RulesError) as error:
        load_rules(rules_dir)
    assert "unknown time zone 'Mars/Olympus'" in str(error.value)
    assert 'write the time in quotes, e.g. "09:00"' in str(error.value)


def test_bands_must_end_open_and_fall(rules_dir):
    edit(rules_dir, "scoring.yml", "{grade: B, min_score: 25}", "{grade: B, min_score: 50}")
    with pytest.raises(RulesError, match=r"fit\.grades: min_score must fall"):
        load_rules(rules_dir)


def test_fit_case_needs_exactly_one_test(rules_dir):
    edit(
        rules_dir,
        "scoring.yml",
        '{name: director, matches: ["*director*"], points: 15}',
        "{name: director, points: 15}",
    )
    with pytest.raises(
        RulesError, match="fit case 'director' needs exactly one of: in, matches, between"
    ):
        load_rules(rules_dir)


def test_duplicate_rule_names(rules_dir):
    edit(rules_dir, "scoring.yml", "{name: email_open,", "{name: email_click,")
    with pytest.raises(RulesError, match="duplicate engagement rule name 'email_click'"):
        load_rules(rules_dir)


def test_broken_yaml_and_missing_file(rules_dir):
    (rules_dir / "lifecycle.yml").write_text("mql: [unclosed\n")
    with pytest.raises(RulesError, match=r"lifecycle.yml:\d+:\d+: not valid YAML"):
        load_rules(rules_dir)
    (rules_dir / "lifecycle.yml").unlink()
    with pytest.raises(RulesError, match=r"lifecycle\.yml: rules file not found"):
        load_rules(rules_dir)


def test_bad_line_in_domain_list(rules_dir):
    with (rules_dir / "personal_email_domains.txt").open("a") as handle:
        handle.write("not a domain\n")
    with pytest.raises(
        RulesError, match=r"personal_email_domains.txt:\d+: expected one e-mail domain a line"
    ):
        load_rules(rules_dir)


def test_rule_values_are_data_never_sql(rules_dir):
    hostile = "*'; drop table raw.crm_leads; --*"
    edit(
        rules_dir,
        "scoring.yml",
        'careers: ["*/careers*", "*/jobs*"]',
        f'careers: ["{hostile}", "*100%_off*"]',
    )
    tables = rule_tables(load_rules(rules_dir))
    patterns = tables["page_categories"].set_index("pattern")["like_pattern"].to_dict()
    assert patterns[hostile] == "%'; drop table raw.crm\\_leads; --%"
    # LIKE wildcards typed by a person are matched literally
    assert patterns["*100%_off*"] == "%100\\%\\_off%"


def test_glob_to_like():
    assert glob_to_like("*/Pricing*") == "%/pricing%"
    assert glob_to_like("vp?") == "vp_"


def test_business_calendar_follows_dst_and_holidays():
    hours = load_rules(RULES).sla.business_hours
    calendar = business_calendar(hours).set_index("local_date")
    friday_before = calendar.loc[dt.date(2026, 3, 6)]  # EST, UTC-5
    monday_after = calendar.loc[dt.date(2026, 3, 9)]  # EDT, UTC-4 since Sunday 8 March
    assert str(friday_before.opens_at) == "2026-03-06 14:00:00"
    assert str(monday_after.opens_at) == "2026-03-09 13:00:00"
    sunday = calendar.loc[dt.date(2026, 3, 8)]
    assert sunday.business_seconds == 0
    assert (sunday.day_ends_at - sunday.day_starts_at).total_seconds() == 23 * 3600
    thanksgiving = calendar.loc[dt.date(2026, 11, 26)]
    assert thanksgiving.business_seconds == 0
    # cumulative business seconds carry over a weekend unchanged
    saturday = calendar.loc[dt.date(2026, 3, 7)]
    assert monday_after.business_seconds_before == saturday.business_seconds_before
    assert saturday.business_seconds_before == friday_before.business_seconds_before + 8 * 3600


def test_rule_group_and_page_category_must_exist(rules_dir):
    edit(
        rules_dir,
        "scoring.yml",
        "{name: demo_request, group: hand_raise,",
        "{name: demo_request, group: hand_raised,",
    )
    with pytest.raises(
        RulesError, match=r"rule 'demo_request': unknown group 'hand_raised' \(groups: hand_raise, "
    ):
        load_rules(rules_dir)


def test_page_category_only_on_web_visits(rules_dir):
    edit(
        rules_dir,
        "scoring.yml",
        "{name: email_click, group: email, activity_type: email_click,",
        "{name: email_click, group: email, activity_type: email_click, page_category: [pricing],",
    )
    with pytest.raises(
        RulesError, match="rule 'email_click': page_category applies to web_visit rules only"
    ):
        load_rules(rules_dir)


def test_decay_and_frequency_shapes(rules_dir):
    edit(
        rules_dir,
        "scoring.yml",
        "email: {decay: {window_days: 30}",
        "email: {decay: {window_day: 30}",
    )
    edit(
        rules_dir,
        "scoring.yml",
        "frequency: {min_events: 3, within_days: 7}",
        "frequency: {min_events: 1, within_days: 7}",
    )
    with pytest.raises(RulesError) as error:
        load_rules(rules_dir)
    message = str(error.value)
    assert "engagement.groups.email.decay" in message
    assert "rule 'product_interest_burst'" in message and "min_events" in message


def test_personas_must_be_title_cases(rules_dir):
    edit(
        rules_dir,
        "scoring.yml",
        "personas: [executive, director, target_persona]",
        "personas: [executive, mid_market]",
    )
    with pytest.raises(
        RulesError, match=r"accounts\.personas: 'mid_market' is not a case of the title fit field"
    ):
        load_rules(rules_dir)


def test_decay_and_frequency_reach_the_tables():
    tables = rule_tables(load_rules(RULES))
    groups = tables["engagement_groups"].set_index("group_id")
    assert groups.loc["email", "decay_kind"] == "window"
    assert groups.loc["email", "decay_window_days"] == 30
    assert groups.loc["negative", "decay_kind"] == "linear"
    assert groups.loc["negative", "decay_percent"] == 25
    rules = tables["engagement_rules"].set_index("rule_id")
    assert rules.loc["product_interest_burst", "frequency_mode"] == "min_events"
    assert (
        rules.loc["product_interest_burst", "frequency_n"],
        rules.loc["product_interest_burst", "frequency_days"],
    ) == (3, 7)
    assert rules.loc["newsletter_signup", "frequency_mode"] == "first_time"

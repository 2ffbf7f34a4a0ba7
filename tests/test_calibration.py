"""Calibration: metrics on hand-made cases with known answers, the settings file, and the night."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from orchestration.calibration import at_bar, calibrate, recommend, roc_auc, threshold_curve
from orchestration.rules import CalibrationRules, RulesError, load_calibration_rules
from tests.conftest import ROOT, SAMPLE_LANDING, make_night, materialization_metadata

# 4 converted and 4 not: of the 16 (converted, not) pairs, 14 are ranked right (3 scores
# below 4 and 5, everything else above), so the AUC is exactly 14/16.
CONVERTED = [8, 7, 6, 3]
NOT_CONVERTED = [5, 4, 2, 1]
SCORES = CONVERTED + NOT_CONVERTED
LABELS = [True] * 4 + [False] * 4


def test_auc_counts_pairs_ranked_right_and_ties_as_half():
    assert roc_auc(SCORES, LABELS) == 0.875
    assert roc_auc([1, 2], [False, True]) == 1.0
    assert roc_auc([2, 1], [False, True]) == 0.0
    # a tie cannot tell the two apart: half a pair
    assert roc_auc([5, 5, 1], [True, False, False]) == 0.75
    with pytest.raises(ValueError, match="at least one converted and one not converted"):
        roc_auc([1, 2], [True, True])


def test_precision_and_recall_at_a_bar():
    at = at_bar(SCORES, LABELS, 5)  # selects 8, 7, 6 (converted) and 5 (not)
    assert (at.selected, at.true_positives) == (4, 3)
    assert (at.precision, at.recall, at.f1) == (0.75, 0.75, 0.75)
    nothing = at_bar(SCORES, LABELS, 9)
    assert (nothing.selected, nothing.precision, nothing.recall) == (0, None, 0.0)


def test_threshold_curve_has_every_bar_from_the_top():
    curve = threshold_curve(SCORES, LABELS)
    assert list(curve["threshold"]) == [8, 7, 6, 5, 4, 3, 2, 1]
    assert list(curve["selected"]) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert list(curve["true_positives"]) == [1, 2, 3, 3, 3, 4, 4, 4]
    assert curve.loc[curve["threshold"] == 6, "f1"].item() == pytest.approx(6 / 7)


@pytest.mark.parametrize(
    ("settings", "threshold", "reason"),
    [
        # F1 at 6 is 6/7, the best of all bars
        ({"objective": "best_f1"}, 6, "highest F1 (0.857)"),
        # precision 0.75 at 5 (3 of 4); below it 3/5, 4/6 ...: 5 is the lowest that reaches it
        (
            {"objective": "target_precision", "target_precision": 0.75},
            5,
            "lowest bar with precision >= 75%",
        ),
        # one week of history, room for 2 a week: the bar at 7 sends exactly 2
        (
            {"objective": "sales_capacity", "sales_capacity_per_week": 2},
            7,
            "lowest bar within 2 leads a week (2.0 a week over 1.0 weeks of history)",
        ),
    ],
)
def test_recommendation_by_objective(settings, threshold, reason):
    curve = threshold_curve(SCORES, LABELS)
    recommendation = recommend(curve, CalibrationRules(**settings), weeks=1.0)
    assert recommendation.threshold == threshold
    assert recommendation.reason == reason


def test_an_unreachable_objective_says_why_instead_of_picking_a_bar():
    curve = threshold_curve([1, 2, 3], [True, False, False])
    recommendation = recommend(
        curve, CalibrationRules(objective="target_precision", target_precision=0.9), weeks=1.0
    )
    assert recommendation.threshold is None
    assert "no bar reaches a precision of 90% (the best is 33%)" in recommendation.reason


def _leads(scores, labels, created="2026-10-01") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(len(scores))],
            "created_at": pd.Timestamp(created),
            "total_score": scores,
            "outcome_status": ["converted" if flag else "not_converted" for flag in labels],
            "days_to_convert": None,
        }
    )


def test_calibrate_refuses_numbers_below_the_minimum_outcomes():
    result = calibrate(_leads(SCORES, LABELS), pd.DataFrame(), CalibrationRules(), 6, 8)
    assert not result.enough
    assert result.auc is None
    assert result.verdict().startswith(
        "Not enough history yet: 4 converted and 4 not converted leads with a known outcome; "
        "calibration needs at least 20 of each"
    )
    enough = calibrate(
        _leads(SCORES, LABELS), pd.DataFrame(), CalibrationRules(min_outcomes=4), 6, 8
    )
    assert enough.auc == 0.875
    assert (enough.at_mql.precision, enough.at_mql.recall) == (1.0, 0.75)
    assert (enough.at_sql.precision, enough.at_sql.recall) == (1.0, 0.25)


def test_leads_converted_before_the_decision_are_not_judged():
    leads = _leads(SCORES, LABELS)
    leads.loc[0, "outcome_status"] = "converted_before_decision"  # the 8
    result = calibrate(leads, pd.DataFrame(), CalibrationRules(min_outcomes=3), 6, 8)
    assert result.converted_before_decision == 1
    assert len(result.leads) == 7
    # 3 converted (7, 6, 3) against 4 not: 10 of 12 pairs right
    assert result.auc == pytest.approx(10 / 12)


def test_calibration_settings_are_validated_with_file_and_line(tmp_path):
    (tmp_path / "calibration.yml").write_text(
        "outcome: opportunity\nobjective: best_auc\n", encoding="utf-8"
    )
    with pytest.raises(RulesError) as error:
        load_calibration_rules(tmp_path)
    assert f"{tmp_path / 'calibration.yml'}:2: objective: Input should be 'best_f1'" in str(
        error.value
    )
    (tmp_path / "calibration.yml").write_text(
        "bands:\n  - {band: hot, min_score: 100}\n  - {band: warm, min_score: 60}\n",
        encoding="utf-8",
    )
    with pytest.raises(RulesError, match="the last band must have min_score: null"):
        load_calibration_rules(tmp_path)
    # a rules folder from before calibration existed gets the defaults
    assert load_calibration_rules(tmp_path / "missing") == CalibrationRules()
    assert load_calibration_rules(ROOT / "rules").horizon_days == 30


@pytest.fixture(scope="module")
def sample_night(tmp_path_factory, dbt_manifest):
    night = make_night(tmp_path_factory.mktemp("calibration_night"), SAMPLE_LANDING)
    result = night.run("2026-11-20")
    assert result.success
    return night, result


def test_the_sample_night_says_there_is_not_enough_history(sample_night):
    night, result = sample_night
    metadata = materialization_metadata(result, ["calibration", "score_calibration_report"])
    assert metadata["enough_history"] is False
    assert metadata["leads_judged"] == 196
    assert metadata["converted"] == 6
    assert metadata["verdict"].startswith(
        "Not enough history yet: 6 converted and 190 not converted leads"
    )
    assert metadata["shadow_model"].startswith(
        "not enough history to learn weights: 6 converted and 190 not converted leads, "
        "need at least 50 of each"
    )
    report = Path(metadata["path"])
    assert report == night.output / "calibration" / "score_calibration_2026-11-20.html"
    assert "Not enough history yet" in report.read_text(encoding="utf-8")
    assert night.query("select count(*) from marts.rpt_threshold_recommendation") == [(0,)]


def test_decision_time_scores_come_from_the_history_not_today(sample_night):
    night, _ = sample_night
    # every judged score is the lead's score on its decision day...
    mismatched = night.query(
        """
        select count(*) from marts.fct_calibration_leads as c
        inner join marts.fct_lead_scores_daily as d
            on d.lead_id = c.lead_id and d.score_date = c.decision_date
        where d.total_score <> c.total_score
        """
    )
    assert mismatched == [(0,)]
    # ...which for many leads is not their score today
    differ = night.query(
        """
        select count(*) from marts.fct_calibration_leads as c
        inner join marts.fct_lead_scores as s on s.lead_id = c.lead_id
        where s.total_score <> c.total_score
        """
    )[0][0]
    assert differ > 50
    # the whole 30-day horizon after the decision lies within the scoring day: decided at the
    # end of 21 October, the horizon ends with 20 November
    latest = night.query("select max(decision_date) from marts.fct_calibration_leads")[0][0]
    assert latest == dt.date(2026, 10, 21)


def test_band_table_counts_add_up(sample_night):
    night, _ = sample_night
    rows = night.records(
        "select band_kind, sum(leads) as leads, sum(converted) as converted "
        "from marts.rpt_score_calibration group by 1 order by 1"
    )
    assert rows == [
        {"band_kind": "band", "leads": 196, "converted": 6},
        {"band_kind": "decile", "leads": 196, "converted": 6},
    ]
    top = night.records(
        "select converted, leads from marts.rpt_score_calibration "
        "where band_kind = 'decile' and band = '10'"
    )
    assert top == [{"converted": 5, "leads": 19}]
    # no judged lead scored 100 (the hot band): the band is shown, empty, not left out
    bands = night.records(
        "select band, leads, converted, conversion_rate from marts.rpt_score_calibration "
        "where band_kind = 'band' order by band_order"
    )
    assert bands == [
        {"band": "hot", "leads": 0, "converted": 0, "conversion_rate": None},
        {"band": "warm", "leads": 27, "converted": 6, "conversion_rate": pytest.approx(6 / 27)},
        {"band": "lukewarm", "leads": 107, "converted": 0, "conversion_rate": 0.0},
        {"band": "cold", "leads": 62, "converted": 0, "conversion_rate": 0.0},
    ]


def test_with_a_lower_minimum_the_report_recommends_a_bar(sample_night, tmp_path):
    from orchestration.assets.calibration import score_calibration
    from orchestration.resources import Folders, Warehouse
    from orchestration.run_date import AS_OF_TAG

    night, _ = sample_night
    rules_dir = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules_dir)
    settings = (rules_dir / "calibration.yml").read_text(encoding="utf-8")
    (rules_dir / "calibration.yml").write_text(
        settings.replace("min_outcomes: 20", "min_outcomes: 5"), encoding="utf-8"
    )
    result = dg.materialize(
        [score_calibration],
        tags={AS_OF_TAG: "2026-11-20"},
        resources={
            "warehouse": Warehouse(path=str(night.warehouse)),
            "folders": Folders(
                landing_dir=str(night.landing),
                rules_dir=str(rules_dir),
                output_dir=str(tmp_path / "output"),
            ),
        },
    )
    metadata = materialization_metadata(result, ["marts", "rpt_threshold_recommendation"])
    assert metadata["enough_history"] is True
    assert metadata["roc_auc"] == pytest.approx(0.9776, abs=1e-4)
    assert metadata["recommended_threshold"] == 80
    rows = night.records(
        "select bar, threshold, leads_over_bar, converted_over_bar, precision, recall "
        "from marts.rpt_threshold_recommendation order by bar"
    )
    assert rows[0] == {
        "bar": "current_mql_bar",
        "threshold": 60.0,
        "leads_over_bar": 27,
        "converted_over_bar": 6,
        "precision": pytest.approx(6 / 27),
        "recall": 1.0,
    }
    assert rows[2]["bar"] == "recommended"
    assert (rows[2]["threshold"], rows[2]["precision"], rows[2]["recall"]) == (
        80.0,
        1.0,
        pytest.approx(4 / 6),
    )
    html = (tmp_path / "output" / "calibration" / "score_calibration_2026-11-20.html").read_text()
    assert html.count("<svg") == 4
    assert "ROC AUC of the total score: <b>0.978</b>" in html


def test_the_warehouse_history_holds_decision_time_features(sample_night):
    import duckdb

    from orchestration.shadow_model import history_from_warehouse

    night, _ = sample_night
    with duckdb.connect(str(night.warehouse), read_only=True) as connection:
        history = history_from_warehouse(connection)
    assert (len(history), int(history["converted"].sum())) == (196, 6)
    # every lead matched one case per fit field; activity counts are whole numbers
    from orchestration.rules import load_rules

    fields = len(load_rules(ROOT / "rules").scoring.fit.fields)
    assert (history[[c for c in history if c.startswith("fit:")]].sum(axis=1) == fields).all()
    activity = [c for c in history if c.startswith("activity:")]
    assert activity and (history[activity] % 1 == 0).all().all()
    # no activity after the decision counts: the decision-day counts are below today's
    today = night.query(
        """
        select count(*) from intermediate.int_activities_matched_to_leads
        where lead_id in (select lead_id from marts.fct_calibration_leads
                          where outcome_status <> 'converted_before_decision')
        """
    )[0][0]
    assert history[activity].to_numpy().sum() < today


def test_backtest_job_compares_candidate_rules_and_leaves_the_warehouse_alone(
    sample_night, tmp_path
):
    import hashlib

    from orchestration.backtest import compare
    from orchestration.definitions import defs
    from orchestration.resources import Folders, Warehouse
    from orchestration.run_date import AS_OF_TAG

    night, _ = sample_night
    before = hashlib.sha256(night.warehouse.read_bytes()).hexdigest()
    candidate = tmp_path / "candidate"
    shutil.copytree(ROOT / "rules", candidate)
    lifecycle = (candidate / "lifecycle.yml").read_text(encoding="utf-8")
    # lower the MQL bar from 60 to 50
    (candidate / "lifecycle.yml").write_text(
        lifecycle.replace("  min_total_score: 60", "  min_total_score: 50", 1), encoding="utf-8"
    )
    result = defs.get_job_def("backtest_job").execute_in_process(
        run_config={
            "ops": {"backtest_candidate_rules": {"config": {"candidate_rules_dir": str(candidate)}}}
        },
        tags={AS_OF_TAG: "2026-11-20"},
        resources={
            "warehouse": Warehouse(path=str(night.warehouse)),
            "folders": Folders(
                landing_dir=str(night.landing),
                rules_dir=str(ROOT / "rules"),
                output_dir=str(tmp_path / "output"),
            ),
        },
    )
    assert result.success
    assert hashlib.sha256(night.warehouse.read_bytes()).hexdigest() == before
    copy = tmp_path / "output" / "backtest" / "2026-11-20" / "lead_scoring.duckdb"
    backtest = compare(night.warehouse, copy, candidate)
    changes = {
        (row.stage, row.change): (row.leads, row.converted)
        for row in backtest.stage_changes.itertuples()
    }
    # 14 more leads would have become MQLs; none of them reached an opportunity
    assert changes == {
        ("mql", "added"): (14, 0),
        ("mql", "kept"): (109, 17),
        ("sql", "kept"): (58, 15),
    }
    metrics = backtest.metrics.set_index("metric")
    assert tuple(metrics.loc["MQLs (ever)", ["current", "candidate"]]) == (109, 123)
    assert tuple(metrics.loc["SLA clocks", ["current", "candidate"]]) == (155, 169)
    assert tuple(metrics.loc["open SLA breaches", ["current", "candidate"]]) == (61, 74)
    assert backtest.note.startswith("Not enough history yet: 6 converted")
    assert "mql  added        14 leads,     0 converted (0.0%)" in backtest.text()


def test_backtest_refuses_invalid_candidate_rules_before_copying_anything(tmp_path):
    from orchestration.backtest import score_candidate

    candidate = tmp_path / "candidate"
    shutil.copytree(ROOT / "rules", candidate)
    lifecycle = (candidate / "lifecycle.yml").read_text(encoding="utf-8")
    (candidate / "lifecycle.yml").write_text(
        lifecycle.replace("  min_total_score: 60", "  min_total_score: sixty", 1), encoding="utf-8"
    )
    with pytest.raises(RulesError, match=r"lifecycle.yml:\d+: mql.min_total_score"):
        score_candidate(
            tmp_path / "missing.duckdb",
            candidate,
            dt.date(2026, 11, 20),
            tmp_path / "work",
            tmp_path,
        )
    assert not (tmp_path / "work").exists()

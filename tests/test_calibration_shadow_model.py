"""The shadow model: exact weights on a hand-made case, the time split, refusals, CSV history."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml

from orchestration.__main__ import main
from orchestration.rules import ShadowModelSettings
from orchestration.shadow_model import (
    HistoryFileError,
    NotEnoughHistory,
    fit_logistic,
    history_from_csv,
    learn,
    suggested_rules,
)


def test_logistic_regression_recovers_the_log_odds_of_a_binary_feature():
    # without the feature 1 in 4 converts (odds 1/3), with it 3 in 4 (odds 3): with a
    # vanishing penalty the weight is the log odds ratio, ln 9, and the intercept ln(1/3)
    x = np.array([[0], [0], [0], [0], [1], [1], [1], [1]], dtype=float)
    y = np.array([1, 0, 0, 0, 1, 1, 1, 0], dtype=float)
    intercept, weight = fit_logistic(x, y, l2=1e-9)
    assert intercept == pytest.approx(math.log(1 / 3), abs=1e-6)
    assert weight == pytest.approx(math.log(9), abs=1e-6)
    # a penalty pulls the weight towards zero
    _, shrunk = fit_logistic(x, y, l2=1.0)
    assert 0 < shrunk < math.log(9)


def _history(n: int = 600, seed: int = 3) -> pd.DataFrame:
    """Leads whose conversion depends on demo requests and industry, not on e-mail opens."""
    rng = np.random.default_rng(seed)
    demos = rng.poisson(0.4, n)
    opens = rng.poisson(2.0, n)
    software = rng.random(n) < 0.4
    logit = -3.0 + 1.8 * demos + 1.0 * software
    converted = rng.random(n) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame(
        {
            "lead_id": [f"L{i:04d}" for i in range(n)],
            "created_at": pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(n) // 4, "D"),
            "converted": converted,
            # a rules score that only knows about e-mail opens: no better than chance
            "score": opens * 5.0,
            "demo_requests": demos,
            "email_opens": opens,
            "industry": np.where(software, "Software", "Retail"),
        }
    )


def test_the_model_learns_what_drives_conversion_and_beats_a_blind_rule(tmp_path):
    path = tmp_path / "past_leads.csv"
    frame = _history()
    frame.assign(converted=frame["converted"].map({True: "yes", False: "no"})).to_csv(
        path, index=False
    )
    history = history_from_csv(path)
    assert {"demo_requests", "email_opens", "industry=Software", "industry=Retail"} <= set(
        history.columns
    )
    model = learn(history, ShadowModelSettings(min_outcomes=30, test_fraction=0.3))
    # the newest 30% (180 of 600) are held out
    assert (model.train_leads, model.test_leads) == (420, 180)
    assert model.split_at == pd.Timestamp("2026-04-16")
    weights = model.weights.set_index("feature")["weight"]
    assert weights["demo_requests"] == pytest.approx(1.8, abs=0.5)
    assert abs(weights["email_opens"]) < 0.3
    assert model.model_auc > 0.75
    assert model.rules_auc == pytest.approx(0.5, abs=0.1)
    document = yaml.safe_load(suggested_rules(model))
    assert document["points_to_double_the_odds"] == 20
    demo = next(e for e in document["other"] if e["feature"] == "demo_requests")
    # points = weight x 20 / ln 2
    assert demo["points"] == round(demo["weight"] * 20 / math.log(2))


def test_it_refuses_below_the_minimum_outcomes_and_says_how_many():
    history = _history(n=120)
    converted = int(history["converted"].sum())
    with pytest.raises(NotEnoughHistory) as error:
        learn(history, ShadowModelSettings(min_outcomes=50))
    assert str(error.value).startswith(
        f"not enough history to learn weights: {converted} converted and "
        f"{120 - converted} not converted leads, need at least 50 of each"
    )


def test_a_history_file_without_outcomes_is_named(tmp_path):
    path = tmp_path / "past.csv"
    path.write_text("lead_id,created_at,demo_requests\nL1,2026-01-01,1\n", encoding="utf-8")
    with pytest.raises(HistoryFileError, match=r"past.csv: no 'converted' column"):
        history_from_csv(path)
    path.write_text("created_at,converted\n2026-01-01,maybe\n", encoding="utf-8")
    with pytest.raises(HistoryFileError, match=r"'converted' must be true/false.*'maybe'"):
        history_from_csv(path)


def test_the_command_writes_suggested_rules(tmp_path, monkeypatch, capsys):
    path = tmp_path / "past_leads.csv"
    _history().to_csv(path, index=False)
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    (rules_dir / "calibration.yml").write_text("shadow_model: {min_outcomes: 30}\n", "utf-8")
    monkeypatch.setenv("LEAD_SCORING_RULES_DIR", str(rules_dir))
    assert main(["shadow-model", "--history", str(path), "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "shadow model ROC AUC" in printed
    assert (tmp_path / "out" / "suggested_rules.yml").is_file()
    # below the minimum: a clear message and a non-zero exit, no file
    (rules_dir / "calibration.yml").write_text("shadow_model: {min_outcomes: 500}\n", "utf-8")
    assert main(["shadow-model", "--history", str(path), "--out", str(tmp_path / "none")]) == 1
    assert "need at least 500 of each" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()

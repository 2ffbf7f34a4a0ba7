"""The shadow model: learn weights from past outcomes and set them beside the rules.

A regularised logistic regression on the same point-in-time features the rules see (activity
counts before the decision time, the fit case each CRM field matched). It never scores a lead
in production; it answers "would weights learned from our own history rank leads better than
the hand-set rules, and which points would they suggest?". It is judged on a held-out *time*
split: trained on the older leads, measured on the newest, exactly like using it tomorrow.

History comes from the warehouse (marts.fct_calibration_leads / fct_calibration_features) or
from a flat CSV of past leads, so a team can calibrate before it has months of nightly runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from orchestration.calibration import roc_auc
from orchestration.rules import ShadowModelSettings

# Suggested points follow the scorecard convention: this many points double the odds of
# converting. 20 keeps suggestions on the scale of the hand-set rules (a hand-raise is 20-30).
POINTS_TO_DOUBLE_ODDS = 20
# Counts beyond this add nothing more: one lead with 200 page views must not set the weight.
MAX_COUNT = 10


class NotEnoughHistory(ValueError):
    """Too few outcomes to learn weights that mean anything; the message says how many."""


class HistoryFileError(ValueError):
    """A history CSV is missing a column or holds a value that cannot be read."""


@dataclass(frozen=True)
class ShadowModel:
    features: list[str]
    weights: pd.DataFrame  # feature, weight (log-odds per unit), suggested_points, leads_with_it
    train_leads: int
    test_leads: int
    train_converted: int
    test_converted: int
    model_auc: float
    rules_auc: float | None  # None when the history has no rules score to compare
    split_at: pd.Timestamp  # leads created from here on are the test set

    def summary(self) -> str:
        rules = "n/a (no score column)" if self.rules_auc is None else f"{self.rules_auc:.3f}"
        return (
            f"shadow model ROC AUC {self.model_auc:.3f} vs rules {rules} on the "
            f"{self.test_leads} newest leads ({self.test_converted} converted, created from "
            f"{self.split_at.date()}); trained on {self.train_leads} older leads "
            f"({self.train_converted} converted)"
        )


def history_from_warehouse(connection) -> pd.DataFrame:
    """One row per judged lead: created_at, converted, score (the rules), one column a feature."""
    leads = connection.execute(
        "select lead_id, created_at, outcome_status = 'converted' as converted, "
        "cast(total_score as double) as score from marts.fct_calibration_leads "
        "where outcome_status in ('converted', 'not_converted') order by lead_id"
    ).df()
    features = [
        name
        for (name,) in connection.execute(
            "select distinct feature from marts.fct_calibration_features order by feature"
        ).fetchall()
    ]
    # The feature rows become a leads x features matrix. DuckDB sums them by row and column
    # number, so only numbers leave the warehouse: at 1M leads (2.9M feature rows) pandas'
    # pivot_table took 2.5 s of the night and DuckDB's PIVOT 1.5 s, this well under one.
    cells = connection.execute(
        """
        with judged as (
            select lead_id, row_number() over (order by lead_id) - 1 as row_number
            from marts.fct_calibration_leads
            where outcome_status in ('converted', 'not_converted')
        ),
        columns as (
            select feature, row_number() over (order by feature) - 1 as column_number
            from (select distinct feature from marts.fct_calibration_features)
        )
        select judged.row_number, columns.column_number, sum(features.feature_value) as value
        from marts.fct_calibration_features as features
        inner join judged on judged.lead_id = features.lead_id
        inner join columns on columns.feature = features.feature
        group by judged.row_number, columns.column_number
        """
    ).fetchnumpy()
    matrix = np.zeros((len(leads), len(features)))
    matrix[cells["row_number"], cells["column_number"]] = cells["value"]
    return pd.concat([leads, pd.DataFrame(matrix, columns=features)], axis=1)


def history_from_csv(path: Path) -> pd.DataFrame:
    """A flat CSV of past leads: created_at, converted, optional score, any other columns.

    Numeric columns (activity counts, employees ...) are features as they are; text columns
    (industry, title ...) become one 0/1 feature per value. `lead_id` is kept aside.

    Raises:
        HistoryFileError: naming the file and the missing or unreadable column.
    """
    frame = pd.read_csv(path)
    for required in ("created_at", "converted"):
        if required not in frame.columns:
            raise HistoryFileError(
                f"{path}: no '{required}' column (expected created_at, converted and feature columns)"
            )
    try:
        frame["created_at"] = pd.to_datetime(frame["created_at"])
    except (ValueError, TypeError) as exc:
        raise HistoryFileError(
            f"{path}: column 'created_at' has a value that is no date: {exc}"
        ) from None
    flags = frame["converted"].astype(str).str.strip().str.lower()
    truth = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    unknown = sorted(set(flags) - set(truth))
    if unknown:
        raise HistoryFileError(
            f"{path}: column 'converted' must be true/false, 1/0 or yes/no, got {unknown[:3]}"
        )
    frame["converted"] = flags.map(truth)
    keep = {"lead_id", "created_at", "converted", "score"}
    text = [c for c in frame.columns if c not in keep and frame[c].dtype == object]
    dummies = pd.get_dummies(frame[text].fillna("(missing)"), prefix_sep="=", dtype=float)
    numeric = [c for c in frame.columns if c not in keep and c not in text]
    return pd.concat(
        [frame[[c for c in keep if c in frame.columns]], frame[numeric], dummies], axis=1
    )


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float, iterations: int = 50) -> np.ndarray:
    """Weights (intercept first) of an L2-regularised logistic regression, by Newton's method.

    The intercept is not penalised. Newton's method converges in a handful of steps on the few
    dozen features here, and needs nothing beyond numpy.
    """
    design = np.column_stack([np.ones(len(x)), x])
    weights = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-design @ weights))
        gradient = design.T @ (p - y) + penalty * weights
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return weights


def learn(history: pd.DataFrame, settings: ShadowModelSettings) -> ShadowModel:
    """Fit on the older leads, measure on the newest, suggest points from the weights.

    Raises:
        NotEnoughHistory: with fewer converted (or not converted) leads than
            settings.min_outcomes, or a time split that leaves one side without conversions.
    """
    converted = int(history["converted"].sum())
    others = len(history) - converted
    if min(converted, others) < settings.min_outcomes:
        raise NotEnoughHistory(
            f"not enough history to learn weights: {converted} converted and {others} not "
            f"converted leads, need at least {settings.min_outcomes} of each "
            "(rules/calibration.yml shadow_model.min_outcomes). With fewer, each learned weight "
            "rests on a handful of conversions and would mostly reflect chance."
        )
    history = history.sort_values(["created_at", *(["lead_id"] if "lead_id" in history else [])])
    split = round(len(history) * (1 - settings.test_fraction))
    train, test = history.iloc[:split], history.iloc[split:]
    if train["converted"].nunique() < 2 or test["converted"].nunique() < 2:
        raise NotEnoughHistory(
            "the time split leaves the training or the test leads without a conversion; "
            "add history or change shadow_model.test_fraction"
        )
    features = [
        c for c in history.columns if c not in ("lead_id", "created_at", "converted", "score")
    ]
    x_train = _prepared(train, features)
    # standardise so that one penalty treats every feature alike; undone for the weights
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    std[std == 0] = 1.0
    weights = fit_logistic((x_train - mean) / std, train["converted"].to_numpy(float), settings.l2)
    per_unit = weights[1:] / std
    x_test = (_prepared(test, features) - mean) / std
    model_scores = x_test @ weights[1:]
    rules_auc = roc_auc(test["score"], test["converted"]) if "score" in history else None
    table = pd.DataFrame(
        {
            "feature": features,
            "weight": per_unit,
            "suggested_points": np.round(per_unit * POINTS_TO_DOUBLE_ODDS / math.log(2)).astype(
                int
            ),
            "leads_with_it": (history[features] > 0).sum().to_numpy(),
        }
    ).sort_values("weight", key=abs, ascending=False, ignore_index=True)
    return ShadowModel(
        features=features,
        weights=table,
        train_leads=len(train),
        test_leads=len(test),
        train_converted=int(train["converted"].sum()),
        test_converted=int(test["converted"].sum()),
        model_auc=roc_auc(model_scores, test["converted"]),
        rules_auc=rules_auc,
        split_at=pd.Timestamp(test["created_at"].min()),
    )


def _prepared(frame: pd.DataFrame, features: list[str]) -> np.ndarray:
    return frame[features].astype(float).clip(upper=MAX_COUNT).to_numpy()


def suggested_rules(model: ShadowModel) -> str:
    """A rules file to review: points per activity and per fit case derived from the weights.

    Not a drop-in scoring.yml: decay, caps and page categories stay a person's call. It lists,
    in the vocabulary of scoring.yml, what the history says each signal is worth.
    """
    engagement, fit, other = [], [], []
    for row in model.weights.itertuples(index=False):
        entry = {"points": int(row.suggested_points), "weight": round(float(row.weight), 3)}
        if row.feature.startswith("activity:"):
            engagement.append({"activity_type": row.feature.removeprefix("activity:"), **entry})
        elif row.feature.startswith("fit:"):
            fit.append({"case": row.feature.removeprefix("fit:"), **entry})
        else:
            other.append({"feature": row.feature, **entry})
    document = {"points_to_double_the_odds": POINTS_TO_DOUBLE_ODDS}
    for name, entries in (("engagement", engagement), ("fit", fit), ("other", other)):
        if entries:
            document[name] = entries
    header = (
        "# Suggested by the shadow model: review before copying points into scoring.yml.\n"
        f"# {model.summary()}.\n"
        f"# points = weight (log-odds per event or per match) x {POINTS_TO_DOUBLE_ODDS} / ln 2:\n"
        f"# {POINTS_TO_DOUBLE_ODDS} points double a lead's odds of converting. "
        f"Activity counts are capped at {MAX_COUNT}.\n"
    )
    return header + yaml.safe_dump(document, sort_keys=False, default_flow_style=None, width=100)

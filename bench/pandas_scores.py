"""The same engagement scores in plain pandas: what a user would otherwise write by hand.

    python -m bench.pandas_scores LANDING_DIR AS_OF OUT.csv

Straightforward on purpose (read the CSVs, merge, group, apply the rules tables), vectorised
where pandas makes that natural. Same assumptions as the floor (bench/floor.py).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from bench.scoring_inputs import csv_files, engagement_rule_tables, score_command_line

ATTRIBUTES = ("url", "page_category", "form_name", "campaign", "asset")


def _read(landing: Path, table: str, columns: list[str], timestamp: str) -> pd.DataFrame:
    frames = [
        pd.read_csv(path, usecols=columns, dtype=str, keep_default_na=False)
        for path in csv_files(landing, table)
    ]
    frame = pd.concat(frames, ignore_index=True)
    frame[timestamp] = pd.to_datetime(frame[timestamp], utc=True).dt.tz_localize(None)
    return frame


def _blank_to_none(values: pd.Series, lower: bool = False) -> pd.Series:
    values = values.str.strip()
    if lower:
        values = values.str.lower()
    return values.where(values != "", None)


def _like(pattern: str) -> re.Pattern:
    """A SQL LIKE pattern (% and _, backslash escapes) as a regular expression."""
    parts, escaped = [], False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def _matches(values: pd.Series, like_pattern: str) -> pd.Series:
    return values.str.lower().str.fullmatch(_like(like_pattern), na=False).astype(bool)


def pandas_scores(landing: Path, as_of: dt.date) -> pd.DataFrame:
    rules = engagement_rule_tables()
    settings = rules["engagement_settings"].iloc[0]
    as_of_day = pd.Timestamp(as_of)
    as_of_end = as_of_day + pd.Timedelta(days=1)

    leads = _read(landing, "crm_leads", ["lead_id", "email", "created_at"], "created_at")
    leads = leads[leads["created_at"] < as_of_end]
    leads["email"] = _blank_to_none(leads["email"], lower=True)
    # an e-mail shared by several leads belongs to the one created first, then the lowest id
    by_email = (
        leads.dropna(subset=["email"])
        .sort_values(["created_at", "lead_id"])
        .drop_duplicates("email")[["email", "lead_id"]]
        .rename(columns={"lead_id": "email_lead_id"})
    )

    columns = ["activity_id", "lead_id", "email", "activity_type", "occurred_at", "url",
               "form_name", "campaign", "asset", "detail"]  # fmt: skip
    events = _read(landing, "marketing_activities", columns, "occurred_at")
    events = events[events["occurred_at"] < as_of_end]
    events["crm_id"] = _blank_to_none(events["lead_id"])
    events["email"] = _blank_to_none(events["email"], lower=True)
    events["activity_type"] = events["activity_type"].str.strip().str.lower()
    events["detail"] = _blank_to_none(events["detail"], lower=True)
    for column in ("url", "form_name", "campaign", "asset"):
        events[column] = _blank_to_none(events[column])
    known = events["crm_id"].isin(leads["lead_id"])
    events = events.merge(by_email, on="email", how="left")
    events["lead_id"] = events["crm_id"].where(known, events["email_lead_id"])
    events = events.dropna(subset=["lead_id"]).drop(columns=["crm_id", "email_lead_id"])
    events["activity_date"] = events["occurred_at"].dt.normalize()

    # page category: the first category (in order) with a matching URL pattern
    events["page_category"] = None
    categories = rules["page_categories"].sort_values("category_order")
    for category in categories.itertuples():
        todo = events["page_category"].isna() & events["url"].notna()
        hit = todo & _matches(events["url"], category.like_pattern)
        events.loc[hit, "page_category"] = category.category

    # every (event, rule) pair whose type and detail fit, then the rule's attribute patterns
    engagement_rules = rules["engagement_rules"]
    candidates = events.merge(
        engagement_rules.rename(columns={"detail": "rule_detail"}), on="activity_type"
    )
    candidates = candidates[
        candidates["rule_detail"].isna() | (candidates["rule_detail"] == candidates["detail"])
    ].reset_index(drop=True)
    attributes_hit = pd.Series(0, index=candidates.index)
    patterns = rules["rule_patterns"]
    patterns = patterns[patterns["rule_id"].isin(engagement_rules["rule_id"])]
    for (rule_id, attribute), group in patterns.groupby(["rule_id", "attribute"]):
        of_rule = candidates["rule_id"] == rule_id
        values = candidates.loc[of_rule, attribute]
        hit = pd.Series(False, index=values.index)
        for like_pattern in group["like_pattern"]:
            hit |= _matches(values, like_pattern)
        attributes_hit[hit[hit].index] += 1
    matching = candidates[attributes_hit == candidates["constrained_attributes"]].copy()

    # frequency conditions, counted over the matching events of each lead and rule
    matching = matching.sort_values(["lead_id", "rule_id", "occurred_at", "activity_id"])
    per_lead_rule = matching.groupby(["lead_id", "rule_id"], sort=False)
    matching["occurrence_number"] = per_lead_rule.cumcount() + 1
    matching["first_activity_date"] = per_lead_rule["activity_date"].transform("min")
    matching["recent_events"] = np.nan
    for rule in engagement_rules[engagement_rules["frequency_mode"] == "min_events"].itertuples():
        of_rule = matching[matching["rule_id"] == rule.rule_id]
        # events strictly after occurred_at - within_days, up to and including occurred_at
        window = pd.Timedelta(days=int(rule.frequency_days)) - pd.Timedelta(microseconds=1)
        counts = (
            of_rule.set_index("occurred_at")
            .groupby("lead_id", sort=False)["activity_id"]
            .rolling(window, closed="both")
            .count()
        )
        matching.loc[of_rule.index, "recent_events"] = counts.to_numpy()
    mode = matching["frequency_mode"]
    qualifies = (
        (mode == "every_time")
        | ((mode == "first_time") & (matching["occurrence_number"] == 1))
        | ((mode == "nth_time") & (matching["occurrence_number"] == matching["frequency_n"]))
        | ((mode == "returning") & (matching["activity_date"] > matching["first_activity_date"]))
        | ((mode == "min_events") & (matching["recent_events"] >= matching["frequency_n"]))
    )
    # within a group, an event earns the points of its first qualifying rule
    scored = (
        matching[qualifies].sort_values("rule_order").drop_duplicates(["activity_id", "group_id"])
    )

    # day caps, decay, rule caps, group caps, floor and ceiling, for the one score date
    in_window = scored["activity_date"] > as_of_day - pd.Timedelta(days=int(settings.window_days))
    days = (
        scored[in_window]
        .groupby(["lead_id", "group_id", "rule_id", "activity_date"], as_index=False)
        .agg(
            raw_points=("points", "sum"),
            max_points=("max_points", "max"),
            max_points_per_day=("max_points_per_day", "max"),
        )
    )
    day_capped = days["raw_points"].abs() > days["max_points_per_day"]
    days["day_points"] = np.where(
        day_capped, np.sign(days["raw_points"]) * days["max_points_per_day"], days["raw_points"]
    )
    days = days.merge(rules["engagement_groups"].drop(columns="max_points"), on="group_id")
    age = (as_of_day - days["activity_date"]).dt.days
    days["factor"] = np.select(
        [
            days["decay_kind"] == "half_life",
            days["decay_kind"] == "linear",
            days["decay_kind"] == "window",
        ],
        [
            0.5 ** (age / days["half_life_days"]),
            np.maximum(
                0.0, 1.0 - days["decay_percent"] / 100.0 * np.floor(age / days["decay_every_days"])
            ),
            (age < days["decay_window_days"]).astype(float),
        ],
        default=1.0,
    )
    days = days[days["factor"] > 0]
    days["decayed"] = days["day_points"] * days["factor"]
    per_rule = days.groupby(["lead_id", "group_id", "rule_id"], as_index=False).agg(
        points=("decayed", "sum"), max_points=("max_points", "max")
    )
    rule_capped = per_rule["points"].abs() > per_rule["max_points"]
    per_rule["points"] = _cents(
        np.where(rule_capped, np.sign(per_rule["points"]) * per_rule["max_points"], per_rule["points"])
    )  # fmt: skip
    per_group = per_rule.groupby(["lead_id", "group_id"], as_index=False)["points"].sum()
    per_group = per_group.merge(
        rules["engagement_groups"][["group_id", "max_points"]], on="group_id"
    )
    group_capped = per_group["points"].abs() > per_group["max_points"]
    per_group["points"] = np.where(
        group_capped, np.sign(per_group["points"]) * per_group["max_points"], per_group["points"]
    )
    per_lead = per_group.groupby("lead_id", as_index=False)["points"].sum()
    per_lead["engagement_score"] = _cents(
        per_lead["points"].clip(settings.score_floor, settings.score_ceiling)
    )
    return per_lead[["lead_id", "engagement_score"]]


def _cents(values) -> np.ndarray:
    """Round half away from zero to the cent, as DuckDB rounds to a decimal (numpy rounds half
    to even)."""
    values = np.asarray(values, dtype=float)
    return np.sign(values) * np.floor(np.abs(values) * 100 + 0.5) / 100


def main(argv: list[str] | None = None) -> None:
    args = score_command_line(__doc__, argv)
    scores = pandas_scores(args.landing, args.as_of)
    scores.to_csv(args.out, index=False)
    print(json.dumps({"leads_with_points": len(scores)}))


if __name__ == "__main__":
    main()

"""Calibration: how well the score ranked the leads that later converted, and where to set the bars.

The warehouse does the set-based part (marts.fct_calibration_leads: one row per lead with its
decision-time score and outcome; marts.rpt_score_calibration: conversion by band). This module
does the small per-threshold part on that one frame: ROC AUC, precision and recall at a bar,
the precision / recall curve over every possible bar, a recommended bar, and the HTML report.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from orchestration.rules import CalibrationRules


def roc_auc(scores, labels) -> float:
    """The probability that a random converted lead scores above a random other one.

    Ties count half (the Mann-Whitney U statistic with average ranks), so a score that cannot
    tell two leads apart earns 0.5 for that pair, not 0 or 1.

    Raises:
        ValueError: when there is no converted lead or no other lead to compare.
    """
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels, dtype=bool)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if positives == 0 or negatives == 0:
        raise ValueError("ROC AUC needs at least one converted and one not converted lead")
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    u = ranks[labels].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))


@dataclass(frozen=True)
class AtBar:
    """What a bar would have done: leads over it, how many converted, precision and recall."""

    threshold: float
    selected: int
    true_positives: int
    precision: float | None  # None when nothing is selected
    recall: float
    f1: float


def at_bar(scores, labels, threshold: float) -> AtBar:
    """Precision and recall of 'score >= threshold' as the prediction of conversion."""
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels, dtype=bool)
    selected = scores >= threshold
    return _at(threshold, int(selected.sum()), int((selected & labels).sum()), int(labels.sum()))


def _at(threshold: float, selected: int, tp: int, positives: int) -> AtBar:
    precision = tp / selected if selected else None
    recall = tp / positives if positives else 0.0
    f1 = 2 * tp / (selected + positives) if selected + positives else 0.0
    return AtBar(float(threshold), selected, tp, precision, recall, f1)


def threshold_curve(scores, labels) -> pd.DataFrame:
    """One row per distinct score, as a bar 'score >= threshold': the whole trade-off at once."""
    frame = pd.DataFrame({"score": np.asarray(scores, dtype=float), "label": labels}).astype(
        {"label": bool}
    )
    by_score = (
        frame.groupby("score")["label"]
        .agg(["size", "sum"])
        .sort_index(ascending=False)
        .cumsum()  # from the top score down: selected leads and conversions at each bar
    )
    positives = int(frame["label"].sum())
    # _at's arithmetic on whole columns (a row loop took a second at 200k leads); every bar
    # here selects at least the leads with its score, so precision is always defined
    selected, hits = by_score["size"].to_numpy(), by_score["sum"].to_numpy()
    return pd.DataFrame(
        {
            "threshold": by_score.index.to_numpy(dtype=float),
            "selected": selected,
            "true_positives": hits,
            "precision": hits / selected,
            "recall": hits / positives if positives else np.zeros(len(selected)),
            "f1": 2 * hits / (selected + positives),
        },
        columns=list(AtBar.__dataclass_fields__),
    )


@dataclass(frozen=True)
class Recommendation:
    objective: str
    threshold: float | None
    reason: str
    at: AtBar | None


def recommend(curve: pd.DataFrame, settings: CalibrationRules, weeks: float) -> Recommendation:
    """The bar the chosen objective asks for, with the reason in words.

    best_f1: the bar with the best balance of precision and recall (highest F1; the higher bar
    on a tie, to spare sales). target_precision: the lowest bar whose precision reaches the
    target (most conversions caught at that quality). sales_capacity: the lowest bar that
    would have sent no more leads a week than sales can take, over the weeks of history judged.
    """
    objective = settings.objective
    if objective == "best_f1":
        best = curve.sort_values(["f1", "threshold"], ascending=[False, False]).iloc[0]
        return _chosen(objective, best, f"highest F1 ({best['f1']:.3f})")
    if objective == "target_precision":
        reaching = curve[curve["precision"].fillna(0) >= settings.target_precision]
        if reaching.empty:
            best = curve["precision"].max()
            return Recommendation(
                objective,
                None,
                f"no bar reaches a precision of {settings.target_precision:.0%} "
                f"(the best is {best:.0%}); the score cannot deliver it",
                None,
            )
        row = reaching.sort_values("threshold").iloc[0]
        return _chosen(
            objective, row, f"lowest bar with precision >= {settings.target_precision:.0%}"
        )
    per_week = curve["selected"] / weeks
    fitting = curve[per_week <= settings.sales_capacity_per_week]
    if fitting.empty:
        return Recommendation(
            objective,
            None,
            f"even the highest bar sends more than {settings.sales_capacity_per_week:g} leads a week",
            None,
        )
    row = fitting.sort_values("threshold").iloc[0]
    return _chosen(
        objective,
        row,
        f"lowest bar within {settings.sales_capacity_per_week:g} leads a week "
        f"({row['selected'] / weeks:.1f} a week over {weeks:.1f} weeks of history)",
    )


def _chosen(objective: str, row: pd.Series, reason: str) -> Recommendation:
    at = _row_at(row)
    return Recommendation(objective, at.threshold, reason, at)


def _row_at(row: pd.Series) -> AtBar:
    precision = None if pd.isna(row["precision"]) else float(row["precision"])
    return AtBar(
        float(row["threshold"]),
        int(row["selected"]),
        int(row["true_positives"]),
        precision,
        float(row["recall"]),
        float(row["f1"]),
    )


@dataclass(frozen=True)
class Calibration:
    """Everything the report and the recommendation table show, for one scoring day."""

    settings: CalibrationRules
    leads: pd.DataFrame  # the judged leads: total_score, converted, created_at, ...
    bands: pd.DataFrame  # marts.rpt_score_calibration
    mql_bar: float
    sql_bar: float
    converted_before_decision: int
    enough: bool
    auc: float | None
    at_mql: AtBar | None
    at_sql: AtBar | None
    curve: pd.DataFrame | None
    recommendation: Recommendation | None
    weeks: float

    @property
    def converted(self) -> int:
        return int(self.leads["converted"].sum())

    @property
    def not_converted(self) -> int:
        return int((~self.leads["converted"]).sum())

    def verdict(self) -> str:
        """One sentence: the headline, or why there are no numbers yet."""
        if not self.enough:
            return (
                f"Not enough history yet: {self.converted} converted and {self.not_converted} "
                f"not converted leads with a known outcome; calibration needs at least "
                f"{self.settings.min_outcomes} of each (rules/calibration.yml min_outcomes), "
                "below that the rates are mostly noise."
            )
        rec = self.recommendation
        bar = "none" if rec is None or rec.threshold is None else f"{rec.threshold:g}"
        return (
            f"ROC AUC {self.auc:.3f} over {len(self.leads)} leads ({self.converted} converted); "
            f"recommended bar {bar} by {self.settings.objective}."
        )


def read_inputs(connection, database: str | None = None):
    """The judged leads, the band table and today's score bars of one warehouse.

    `database` names an attached warehouse (the backtest reads two); None is the open one.
    """
    prefix = f"{database}." if database else ""
    leads = connection.execute(
        "select lead_id, created_at, total_score, outcome_status, days_to_convert "
        f"from {prefix}marts.fct_calibration_leads order by lead_id"
    ).df()
    bands = connection.execute(f"select * from {prefix}marts.rpt_score_calibration").df()
    # fetchall: DuckDB keeps a result open until it has been read to the end
    [(mql_bar, sql_bar)] = connection.execute(
        f"select mql_min_total_score, sql_min_total_score from {prefix}rules.lifecycle_thresholds"
    ).fetchall()
    return leads, bands, float(mql_bar), float(sql_bar)


def calibrate(
    leads: pd.DataFrame,
    bands: pd.DataFrame,
    settings: CalibrationRules,
    mql_bar: float,
    sql_bar: float,
) -> Calibration:
    """Judge the decision-time scores in `leads` (a marts.fct_calibration_leads frame)."""
    before = int((leads["outcome_status"] == "converted_before_decision").sum())
    judged = leads[leads["outcome_status"] != "converted_before_decision"].copy()
    judged["converted"] = judged["outcome_status"] == "converted"
    judged["total_score"] = judged["total_score"].astype(float)
    positives = int(judged["converted"].sum())
    negatives = len(judged) - positives
    enough = min(positives, negatives) >= settings.min_outcomes
    weeks = _weeks_spanned(judged)
    if not enough:
        return Calibration(
            settings,
            judged,
            bands,
            mql_bar,
            sql_bar,
            before,
            False,
            None,
            None,
            None,
            None,
            None,
            weeks,
        )
    scores, labels = judged["total_score"], judged["converted"]
    curve = threshold_curve(scores, labels)
    return Calibration(
        settings=settings,
        leads=judged,
        bands=bands,
        mql_bar=mql_bar,
        sql_bar=sql_bar,
        converted_before_decision=before,
        enough=True,
        auc=roc_auc(scores, labels),
        at_mql=at_bar(scores, labels, mql_bar),
        at_sql=at_bar(scores, labels, sql_bar),
        curve=curve,
        recommendation=recommend(curve, settings, weeks),
        weeks=weeks,
    )


def _weeks_spanned(leads: pd.DataFrame) -> float:
    """Weeks between the first and the last judged lead's creation day, at least one."""
    if leads.empty:
        return 1.0
    created = pd.to_datetime(leads["created_at"]).dt.normalize()
    return max(1.0, ((created.max() - created.min()).days + 1) / 7)


def recommendation_rows(result: Calibration, as_of) -> pd.DataFrame:
    """marts.rpt_threshold_recommendation: the current bars and the recommended one, side by side."""
    rows = []
    if result.enough:
        for kind, at in (
            ("current_mql_bar", result.at_mql),
            ("current_sql_bar", result.at_sql),
            ("recommended", result.recommendation.at),
        ):
            if at is None:
                continue
            rows.append(
                {
                    "bar": kind,
                    "threshold": at.threshold,
                    "leads_over_bar": at.selected,
                    "leads_per_week": at.selected / result.weeks,
                    "converted_over_bar": at.true_positives,
                    "precision": at.precision,
                    "recall": at.recall,
                    "f1": at.f1,
                }
            )
    frame = pd.DataFrame(
        rows,
        columns=[
            "bar",
            "threshold",
            "leads_over_bar",
            "leads_per_week",
            "converted_over_bar",
            "precision",
            "recall",
            "f1",
        ],
    )
    frame.insert(0, "as_of_date", pd.Timestamp(as_of).date())
    frame["objective"] = result.settings.objective
    frame["roc_auc"] = result.auc
    frame["reason"] = result.recommendation.reason if result.recommendation else result.verdict()
    return frame


# --- the HTML report --------------------------------------------------------------------------

WIDTH, HEIGHT, PAD = 520, 260, 40
COLOURS = ("#1f77b4", "#d62728", "#7f7f7f")


def render_html(result: Calibration, as_of, shadow=None) -> str:
    """A self-contained page: headline numbers, four charts (inline SVG) and the band table.

    `shadow` is the shadow model (orchestration.shadow_model.ShadowModel), or the sentence
    saying why there is none.
    """
    s = result.settings
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Score calibration {as_of}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;"
        "text-align:right}figure{display:inline-block;margin:0 1em 1em 0}"
        "figcaption{font-weight:bold}</style></head><body>",
        f"<h1>Score calibration as of {as_of}</h1>",
        f"<p>Outcome: reached <b>{s.outcome}</b> within {s.horizon_days} days of the decision "
        f"time (the score at the end of day {s.decision_age_days} of the lead's life, from the "
        "point-in-time history). "
        f"Judged: {len(result.leads)} leads, {result.converted} converted; "
        f"{result.converted_before_decision} converted before the decision time and are not "
        "counted.</p>",
        f"<p><b>{html.escape(result.verdict())}</b></p>",
    ]
    if result.enough:
        parts.append(_headline_table(result))
        parts.append(_charts(result))
    parts.append("<h2>Conversion by band</h2>")
    parts.append(_band_table(result.bands))
    if shadow is not None:
        parts.append("<h2>Shadow model: weights learned from history</h2>")
        parts.append(_shadow_section(shadow))
    parts.append("</body></html>")
    return "\n".join(parts)


def _fmt(value, pattern="{:.1%}") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return pattern.format(value)


def _headline_table(result: Calibration) -> str:
    rec = result.recommendation
    rows = [("current MQL bar", result.at_mql), ("current SQL bar", result.at_sql)]
    if rec.at is not None:
        rows.append((f"recommended ({rec.objective})", rec.at))
    body = "".join(
        f"<tr><th>{name}</th><td>{at.threshold:g}</td><td>{at.selected}</td>"
        f"<td>{at.selected / result.weeks:.1f}</td><td>{_fmt(at.precision)}</td>"
        f"<td>{_fmt(at.recall)}</td><td>{at.f1:.3f}</td></tr>"
        for name, at in rows
    )
    return (
        f"<p>ROC AUC of the total score: <b>{result.auc:.3f}</b> "
        "(0.5 = no better than chance, 1 = every converted lead above every other). "
        f"Recommendation: {html.escape(rec.reason)}.</p>"
        "<table><tr><th>bar</th><th>score &ge;</th><th>leads</th><th>per week</th>"
        f"<th>precision</th><th>recall</th><th>F1</th></tr>{body}</table>"
    )


def _shadow_section(shadow) -> str:
    if isinstance(shadow, str):
        return f"<p>{html.escape(shadow)}</p>"
    rows = "".join(
        f"<tr><td style='text-align:left'>{html.escape(row.feature)}</td><td>{row.weight:.3f}</td>"
        f"<td>{row.suggested_points}</td><td>{row.leads_with_it}</td></tr>"
        for row in shadow.weights.itertuples(index=False)
    )
    return (
        f"<p>{html.escape(shadow.summary())}.</p>"
        "<table><tr><th>feature</th><th>weight (log-odds per unit)</th>"
        f"<th>suggested points</th><th>leads with it</th></tr>{rows}</table>"
    )


def _band_table(bands: pd.DataFrame) -> str:
    if bands.empty:
        return "<p>No lead has a known outcome yet.</p>"
    columns = [
        "band_kind",
        "band",
        "min_score",
        "max_score",
        "leads",
        "converted",
        "conversion_rate",
        "lift",
        "cumulative_share_of_conversions",
        "median_days_to_convert",
    ]
    head = "".join(f"<th>{c.replace('_', ' ')}</th>" for c in columns)
    body = []
    for _, row in bands.sort_values(["band_kind", "band_order"]).iterrows():
        cells = []
        for c in columns:
            value = row[c]
            if c in ("conversion_rate", "cumulative_share_of_conversions"):
                text = _fmt(value)
            elif c == "lift":
                text = _fmt(value, "{:.2f}")
            elif isinstance(value, float):
                text = _fmt(value, "{:g}")
            else:
                text = html.escape(str(value))
            cells.append(f"<td>{text}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _charts(result: Calibration) -> str:
    leads = result.leads
    deciles = result.bands[result.bands["band_kind"] == "decile"].sort_values("band_order")
    configured = result.bands[result.bands["band_kind"] == "band"].sort_values("band_order")

    # score distribution by outcome: the share of each group in each score bin
    edges = np.histogram_bin_edges(leads["total_score"], bins=12)
    distribution = []
    for flag, name in ((True, "converted"), (False, "not converted")):
        counts, _ = np.histogram(leads.loc[leads["converted"] == flag, "total_score"], bins=edges)
        distribution.append((name, list(edges[:-1]), list(counts / max(1, counts.sum()))))

    # gains curve: share of conversions caught by the top x% of leads (deciles from the top)
    gains = [
        (
            "score",
            [0.0, *deciles["cumulative_share_of_leads"]],
            [0.0, *deciles["cumulative_share_of_conversions"]],
        ),
        ("random", [0.0, 1.0], [0.0, 1.0]),
    ]
    # calibration curve: observed conversion rate against the decile's mean score
    mean_scores = (deciles["min_score"] + deciles["max_score"]) / 2
    return "".join(
        [
            _figure(
                "Score distribution by outcome",
                _lines(distribution, "total score", "share of group"),
            ),
            _figure(
                "Conversion rate by band",
                _bars(
                    list(configured["band"]),
                    # a band no lead fell into has no rate: drawn as an empty bar
                    list(configured["conversion_rate"].fillna(0)),
                    "conversion rate",
                ),
            ),
            _figure(
                "Lift (gains) curve",
                _lines(gains, "share of leads, top scores first", "share of conversions"),
            ),
            _figure(
                "Calibration curve (deciles)",
                _lines(
                    [("observed", list(mean_scores), list(deciles["conversion_rate"]))],
                    "decile's mid score",
                    "conversion rate",
                    markers=True,
                ),
            ),
        ]
    )


def _figure(title: str, svg: str) -> str:
    return f"<figure><figcaption>{html.escape(title)}</figcaption>{svg}</figure>"


def _scale(values, low_pixel, high_pixel):
    values = [float(v) for v in values]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return lambda v: low_pixel + (float(v) - low) / span * (high_pixel - low_pixel)


def _axes(x_label: str, y_label: str, y_max: float) -> str:
    return (
        f"<line x1='{PAD}' y1='{HEIGHT - PAD}' x2='{WIDTH - 10}' y2='{HEIGHT - PAD}' stroke='#444'/>"
        f"<line x1='{PAD}' y1='10' x2='{PAD}' y2='{HEIGHT - PAD}' stroke='#444'/>"
        f"<text x='{WIDTH / 2}' y='{HEIGHT - 8}' text-anchor='middle' font-size='11'>{x_label}</text>"
        f"<text x='12' y='{HEIGHT / 2}' font-size='11' transform='rotate(-90 12 {HEIGHT / 2})' "
        f"text-anchor='middle'>{y_label}</text>"
        f"<text x='{PAD - 4}' y='14' text-anchor='end' font-size='10'>{y_max:.2g}</text>"
        f"<text x='{PAD - 4}' y='{HEIGHT - PAD}' text-anchor='end' font-size='10'>0</text>"
    )


def _lines(series, x_label: str, y_label: str, markers: bool = False) -> str:
    all_x = [x for _, xs, _ in series for x in xs]
    y_max = max([max(ys) for _, _, ys in series if len(ys)] + [1e-9])
    x = _scale(all_x, PAD, WIDTH - 10)
    y = _scale([0, y_max], HEIGHT - PAD, 10)
    shapes = [_axes(x_label, y_label, y_max)]
    for index, (name, xs, ys) in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        points = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in zip(xs, ys, strict=True))
        shapes.append(
            f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{points}'/>"
        )
        if markers:
            shapes += [
                f"<circle cx='{x(a):.1f}' cy='{y(b):.1f}' r='3' fill='{colour}'/>"
                for a, b in zip(xs, ys, strict=True)
            ]
        shapes.append(
            f"<text x='{WIDTH - 120}' y='{20 + 14 * index}' font-size='11' fill='{colour}'>{name}</text>"
        )
        shapes.append(
            f"<text x='{PAD}' y='{HEIGHT - PAD + 14}' font-size='10'>{min(all_x):g}</text>"
            f"<text x='{WIDTH - 10}' y='{HEIGHT - PAD + 14}' font-size='10' text-anchor='end'>"
            f"{max(all_x):g}</text>"
            if index == 0
            else ""
        )
    return _svg(shapes)


def _bars(labels: list[str], values: list[float], y_label: str) -> str:
    y_max = max([*values, 1e-9])
    y = _scale([0, y_max], HEIGHT - PAD, 10)
    width = (WIDTH - PAD - 10) / max(1, len(values))
    shapes = [_axes("band", y_label, y_max)]
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        left = PAD + index * width + 4
        shapes.append(
            f"<rect x='{left:.1f}' y='{y(value):.1f}' width='{width - 8:.1f}' "
            f"height='{HEIGHT - PAD - y(value):.1f}' fill='{COLOURS[0]}'/>"
            f"<text x='{left + (width - 8) / 2:.1f}' y='{HEIGHT - PAD + 14}' font-size='10' "
            f"text-anchor='middle'>{html.escape(label)}</text>"
            f"<text x='{left + (width - 8) / 2:.1f}' y='{y(value) - 3:.1f}' font-size='10' "
            f"text-anchor='middle'>{value:.0%}</text>"
        )
    return _svg(shapes)


def _svg(shapes: list[str]) -> str:
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{HEIGHT}' "
        f"viewBox='0 0 {WIDTH} {HEIGHT}'>{''.join(shapes)}</svg>"
    )

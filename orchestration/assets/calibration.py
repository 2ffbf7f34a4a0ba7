"""The nightly calibration report: how the scores of past leads compare with what converted.

Reads marts.fct_calibration_leads and marts.rpt_score_calibration (dbt), computes AUC,
precision and recall at today's bars and a recommended bar, writes
marts.rpt_threshold_recommendation for BI tools and an HTML report archived per night.
Too little history is not a failure: the report says so and the night goes on.
"""

import datetime as dt
from pathlib import Path

import dagster as dg

from orchestration import calibration, shadow_model
from orchestration.resources import Folders, Warehouse
from orchestration.rules import RulesError, load_calibration_rules
from orchestration.run_date import as_of_for_run

RECOMMENDATION_KEY = dg.AssetKey(["marts", "rpt_threshold_recommendation"])
REPORT_KEY = dg.AssetKey(["calibration", "score_calibration_report"])


def report_file(output_dir: Path, as_of: dt.date) -> Path:
    return output_dir / "calibration" / f"score_calibration_{as_of.isoformat()}.html"


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            RECOMMENDATION_KEY,
            group_name="calibration",
            kinds={"duckdb"},
            description="The current MQL/SQL bars and the recommended one with precision and recall.",
            deps=[["marts", "fct_calibration_leads"], ["marts", "rpt_score_calibration"]],
        ),
        dg.AssetSpec(
            REPORT_KEY,
            group_name="calibration",
            kinds={"html"},
            description="The calibration report with its charts, archived per scoring day.",
            deps=[["marts", "fct_calibration_leads"], ["marts", "rpt_score_calibration"]],
        ),
    ],
    name="score_calibration",
)
def score_calibration(context: dg.AssetExecutionContext, warehouse: Warehouse, folders: Folders):
    """Judge the decision-time scores of every lead whose outcome is known."""
    as_of = as_of_for_run(context)
    try:
        settings = load_calibration_rules(Path(folders.rules_dir))
    except RulesError as exc:
        raise dg.Failure(description=str(exc)) from None
    with warehouse.connect() as connection:
        leads, bands, mql_bar, sql_bar = calibration.read_inputs(connection)
        result = calibration.calibrate(leads, bands, settings, mql_bar, sql_bar)
        table = calibration.recommendation_rows(result, as_of)
        connection.register("recommendation_frame", table)
        connection.execute(
            "create or replace table marts.rpt_threshold_recommendation as "
            "select * from recommendation_frame"
        )
        connection.unregister("recommendation_frame")
        shadow = _shadow_model(connection, settings)

    path = report_file(Path(folders.output_dir), as_of)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(calibration.render_html(result, as_of, shadow), encoding="utf-8")
    context.log.info(result.verdict())

    summary = {
        "verdict": result.verdict(),
        "enough_history": result.enough,
        "leads_judged": len(result.leads),
        "converted": result.converted,
        "shadow_model": shadow if isinstance(shadow, str) else shadow.summary(),
    }
    if result.enough:
        rec = result.recommendation
        summary.update(
            roc_auc=dg.MetadataValue.float(result.auc),
            recommended_threshold=rec.threshold if rec.threshold is not None else "none",
            recommendation_reason=rec.reason,
            precision_at_mql_bar=_or_none(result.at_mql.precision),
            recall_at_mql_bar=result.at_mql.recall,
        )
    yield dg.MaterializeResult(
        asset_key=RECOMMENDATION_KEY,
        metadata={**summary, "rows": len(table), "preview": dg.MetadataValue.md(_markdown(table))},
    )
    yield dg.MaterializeResult(
        asset_key=REPORT_KEY,
        metadata={
            **summary,
            "path": dg.MetadataValue.path(str(path)),
            "bands": dg.MetadataValue.md(_markdown(bands)),
        },
    )


def _shadow_model(connection, settings):
    """The learned model beside the rules, or the sentence saying why there is none tonight."""
    try:
        return shadow_model.learn(
            shadow_model.history_from_warehouse(connection), settings.shadow_model
        )
    except shadow_model.NotEnoughHistory as exc:
        return str(exc)


def _or_none(value):
    return "none selected" if value is None else value


def _markdown(frame) -> str:
    if frame.empty:
        return "_no rows: not enough history yet_"
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(value) for value in row) + " |")
    return "\n".join(lines)


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


calibration_assets = [score_calibration]

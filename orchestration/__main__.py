"""Command line: run the nightly job once and print what it did; learn weights from history.

    python -m orchestration run [--as-of 2026-11-20] [--full-refresh] [--resend-reports]
    python -m orchestration shadow-model [--history past_leads.csv] [--out folder]
    python -m orchestration backtest --candidate-rules path/to/rules [--as-of 2026-11-20]

Paths come from the same environment variables as the Dagster code location (settings.py).
Runs are recorded in the Dagster instance at $DAGSTER_HOME when it is set, so `dagster dev`
shows them too.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.run_date import AS_OF_TAG, default_as_of, parse_as_of


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the whole nightly job once")
    run.add_argument(
        "--as-of", type=parse_as_of, default=None, help="scoring day (default: yesterday, UTC)"
    )
    run.add_argument("--full-refresh", action="store_true", help="rebuild incremental dbt models")
    run.add_argument(
        "--resend-reports",
        action="store_true",
        help="send the night's SLA breach e-mails and webhook message again, even if sent",
    )
    run.add_argument(
        "--verbose", action="store_true", help="show every Dagster event, not just warnings"
    )
    shadow = commands.add_parser(
        "shadow-model",
        help="learn weights from past outcomes and compare them with the rules",
    )
    shadow.add_argument(
        "--history",
        type=Path,
        default=None,
        help="CSV of past leads (created_at, converted, optional score, feature columns); "
        "default: the judged leads in the warehouse",
    )
    shadow.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for suggested_rules.yml (default: output folder)",
    )
    backtest = commands.add_parser(
        "backtest",
        help="rescore a copy of the warehouse with candidate rules and compare with the current",
    )
    backtest.add_argument("--candidate-rules", type=Path, required=True, help="rules folder")
    backtest.add_argument(
        "--as-of", type=parse_as_of, default=None, help="scoring day (default: yesterday, UTC)"
    )
    args = parser.parse_args(argv)
    if args.command == "shadow-model":
        return shadow_model_command(args.history, args.out)
    if args.command == "backtest":
        return backtest_command(args.candidate_rules, args.as_of or default_as_of())

    # Imported here: loading the definitions reads the environment (paths, schedule).
    from orchestration.definitions import defs, settings

    as_of = args.as_of or default_as_of()
    run_config: dict = {
        "loggers": {"console": {"config": {"log_level": "DEBUG" if args.verbose else "WARNING"}}}
    }
    run_config["ops"] = {}
    if args.full_refresh:
        run_config["ops"]["lead_scoring_dbt"] = {"config": {"full_refresh": True}}
    if args.resend_reports:
        run_config["ops"]["outbound__sla_breach_report"] = {"config": {"resend": True}}
    # dbt's own progress lines go to a log file, so the terminal shows the summary; --verbose
    # keeps everything on screen.
    log_path = settings.output_dir / "logs" / f"nightly_{as_of.isoformat()}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        _instance() as instance,
        contextlib.nullcontext() if args.verbose else _stdout_to(log_path),
    ):
        result = defs.resolve_job_def("nightly_lead_scoring").execute_in_process(
            instance=instance,
            tags={AS_OF_TAG: as_of.isoformat()},
            run_config=run_config,
            raise_on_error=False,
        )
    if not args.verbose:
        print(f"(dbt and run log: {log_path})")
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure:
                error = event.step_failure_data.error
                print(
                    f"FAILED {event.step_key}: {error.message.strip() if error else ''}",
                    file=sys.stderr,
                )
        return 1
    handed_off = _metadata_value(result, ["outbound", "sql_handoffs"], "new_sqls")
    print(summary(str(settings.warehouse_path), str(settings.output_dir), as_of, handed_off))
    # what reached the outside world, or why nothing did
    crm_push = _metadata_value(result, ["outbound", "crm_push"], "delivery")
    breach_report = _metadata_value(result, ["outbound", "sla_breach_report"], "delivery")
    print(f"  CRM push            {crm_push}")
    print(f"  breach report       {breach_report}")
    calibration = _metadata_value(result, ["calibration", "score_calibration_report"], "verdict")
    print(f"  calibration         {calibration}")
    failed_checks = [
        f"{e.check_name}: {e.description}"
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.asset_key.path[0] == "outbound"
    ]
    for failed in failed_checks:
        print(f"  CHECK FAILED        {failed}", file=sys.stderr)
    return 0


@contextlib.contextmanager
def _stdout_to(path):
    with path.open("a", encoding="utf-8") as handle, contextlib.redirect_stdout(handle):
        yield


def shadow_model_command(history_csv: Path | None, out_dir: Path | None) -> int:
    """Fit the shadow model, print its AUC beside the rules' and write the suggested rules."""
    from orchestration import shadow_model
    from orchestration.rules import RulesError, load_calibration_rules
    from orchestration.settings import Settings

    settings = Settings.from_env()
    try:
        calibration = load_calibration_rules(settings.rules_dir)
        if history_csv is not None:
            history = shadow_model.history_from_csv(history_csv)
        else:
            with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
                history = shadow_model.history_from_warehouse(connection)
        model = shadow_model.learn(history, calibration.shadow_model)
    except (RulesError, shadow_model.NotEnoughHistory, shadow_model.HistoryFileError) as exc:
        print(f"shadow model: {exc}", file=sys.stderr)
        return 1
    out = out_dir or settings.output_dir / "calibration"
    out.mkdir(parents=True, exist_ok=True)
    suggested = out / "suggested_rules.yml"
    suggested.write_text(shadow_model.suggested_rules(model), encoding="utf-8")
    print(model.summary())
    print(model.weights.head(15).to_string(index=False))
    print(f"suggested rules: {suggested}")
    return 0


def backtest_command(candidate_rules: Path, as_of) -> int:
    """Rescore a copy of the warehouse with `candidate_rules` and print the comparison."""
    from orchestration.backtest import run_backtest
    from orchestration.rules import RulesError
    from orchestration.settings import Settings

    settings = Settings.from_env()
    work_dir = settings.output_dir / "backtest" / as_of.isoformat()
    try:
        result = run_backtest(
            settings.warehouse_path, candidate_rules, as_of, work_dir, settings.landing_dir
        )
    except (RulesError, RuntimeError) as exc:
        print(f"backtest: {exc}", file=sys.stderr)
        return 1
    print(result.text())
    return 0


def _instance():
    import os

    return (
        dg.DagsterInstance.get()
        if os.environ.get("DAGSTER_HOME")
        else dg.DagsterInstance.ephemeral()
    )


def _metadata_value(result: dg.ExecuteInProcessResult, key: list[str], name: str):
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        if materialization and materialization.asset_key == dg.AssetKey(key):
            return materialization.metadata[name].value
    return 0


def summary(warehouse_path: str, output_dir: str, as_of, new_sqls_handed_off: int) -> str:
    """A short report a person can read: what the night produced and where it is."""
    with duckdb.connect(warehouse_path, read_only=True) as connection:
        scored, disqualified = connection.execute(
            "select count(*), count(*) filter (where is_disqualified) from marts.fct_lead_scores"
        ).fetchone()
        stages = dict(
            connection.execute(
                "select current_stage, count(*) from marts.fct_lead_lifecycle group by 1"
            ).fetchall()
        )
        breaches = dict(
            connection.execute(
                "select tier, count(*) from marts.rpt_sla_breaches group by 1"
            ).fetchall()
        )
        rejected = connection.execute("select count(*) from raw.rejected_rows").fetchone()[0]
    order = [
        "lead",
        "mql",
        "sql",
        "opportunity",
        "customer",
        "closed_lost",
        "recycled",
        "disqualified",
    ]
    stage_text = ", ".join(f"{stage} {stages.get(stage, 0)}" for stage in order)
    lines = [
        f"Nightly lead scoring as of {as_of.isoformat()}",
        f"  leads scored        {scored} ({disqualified} disqualified)",
        f"  current stages      {stage_text}",
        f"  MQLs                {stages.get('mql', 0)} waiting for sales to qualify",
        f"  new SQLs            {new_sqls_handed_off} handed off tonight ({stages.get('sql', 0)} SQLs open)",
        f"  SLA breaches        {sum(breaches.values())} open"
        + (f" ({', '.join(f'{k} {v}' for k, v in sorted(breaches.items()))})" if breaches else ""),
        f"  rejected rows       {rejected} (see raw.rejected_rows)",
        f"  warehouse           {warehouse_path}",
        f"  output files        {output_dir}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

"""The code location loads, and its graph, job and schedule are what the README promises."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from orchestration.assets.dbt import dbt_build_args
from orchestration.run_date import AS_OF_TAG, default_as_of, parse_as_of


@pytest.fixture(scope="module")
def defs(dbt_manifest):
    from orchestration.definitions import defs

    return defs


def test_definitions_load_with_the_whole_graph(defs):
    dg.Definitions.validate_loadable(defs)
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    expected = {
        "raw/crm_leads",
        "raw/marketing_activities",
        "rules/engagement_rules",
        "rules/business_calendar",
        "staging/stg_crm__leads",
        "marts/fct_lead_scores",
        "marts/fct_score_contributions",
        "marts/fct_lead_lifecycle",
        "marts/rpt_new_sqls",
        "marts/rpt_sla_breaches",
        "outbound/sql_handoffs",
        "outbound/crm_push",
        "outbound/sla_breach_report",
    }
    assert expected <= keys
    # dbt data tests become asset checks on the models they test
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert "unique_fct_lead_scores_lead_id" in checks
    # the explanation test is a check on the scores it explains
    assert any(name.startswith("total_explained_by_contributions") for name in checks)


def test_dbt_sources_are_the_ingest_and_rules_assets(defs):
    graph = defs.resolve_asset_graph()
    staging_leads = graph.get(dg.AssetKey(["staging", "stg_crm__leads"]))
    assert dg.AssetKey(["raw", "crm_leads"]) in staging_leads.parent_keys
    scored = graph.get(dg.AssetKey(["intermediate", "int_activities_scored"]))
    assert dg.AssetKey(["rules", "engagement_rules"]) in scored.parent_keys


def test_nightly_schedule_scores_the_day_that_ended(defs):
    schedule = defs.resolve_schedule_def("nightly_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 11, 21, 2, 0, tzinfo=dt.UTC)
    )
    request = schedule.evaluate_tick(context).run_requests[0]
    assert request.tags[AS_OF_TAG] == "2026-11-20"
    assert request.run_key == "2026-11-20"
    assert defs.resolve_job_def("nightly_lead_scoring").executor_def is dg.in_process_executor


def test_the_night_builds_models_and_data_tests_and_leaves_unit_tests_to_ci():
    assert dbt_build_args() == ["build", "--exclude-resource-type", "unit_test"]
    assert dbt_build_args(full_refresh=True) == [
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--full-refresh",
    ]


def test_as_of_parsing_and_default():
    assert default_as_of(dt.date(2026, 11, 21)) == dt.date(2026, 11, 20)
    assert parse_as_of(" 2026-11-20 ") == dt.date(2026, 11, 20)
    with pytest.raises(ValueError, match="as_of must be a date like 2026-11-20, got 'yesterday'"):
        parse_as_of("yesterday")


def test_dbt_starts_without_dagster_dbts_preliminaries(dbt_manifest):
    """Before every dbt command dagster-dbt runs `dbt --version` and builds a dbt adapter in
    this process (~4 s a night) unless the resource overrides the private members that do it,
    as ours does. An upgrade of dagster-dbt that renames them or stops using them, or a `dbt`
    on PATH that is not this environment's dbt-core, must fail here."""
    import inspect
    import subprocess

    from dagster_dbt import DbtCliResource

    from orchestration.project import lead_scoring_dbt
    from orchestration.resources import Dbt

    source = inspect.getsource(DbtCliResource.cli)
    assert "self._cli_version" in source
    assert "self._initialize_dbt_core_adapter(" in source
    dbt = Dbt(project_dir=lead_scoring_dbt)
    assert dbt._initialize_dbt_core_adapter(["build"]) is None
    reported = subprocess.check_output([dbt.dbt_executable, "--version"], text=True)
    assert f"installed: {dbt._cli_version}" in reported

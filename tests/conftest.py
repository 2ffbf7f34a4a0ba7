"""Shared fixtures: a prepared dbt manifest, an isolated Dagster home, and a warehouse per run."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_LANDING = ROOT / "sample_data" / "landing"
SCENARIOS = Path(__file__).resolve().parent / "fixtures" / "scenarios"
# dbt's target folder for the commands tests run outside Dagster (run_dbt)
TEST_DBT_TARGET = ROOT / "dbt_project" / "target" / "tests"

# dagster-dbt runs the `dbt` executable of this environment; dbt must not phone home.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"


@pytest.fixture(scope="session", autouse=True)
def dagster_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("dagster_home")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """Build dbt_project/target/manifest.json once (prepare_if_dev only acts under dagster dev)."""
    from orchestration.project import lead_scoring_dbt

    lead_scoring_dbt.preparer.prepare(lead_scoring_dbt)
    assert lead_scoring_dbt.manifest_path.exists()
    return lead_scoring_dbt.manifest_path


@dataclass
class Night:
    """One pipeline environment: landing folder, warehouse file and output folder."""

    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def warehouse(self) -> Path:
        # same file stem as production: dbt-duckdb names the database after it
        return self.root / "lead_scoring.duckdb"

    @property
    def output(self) -> Path:
        return self.root / "output"

    def run(
        self,
        as_of: str,
        rules_dir: Path | None = None,
        resources: dict | None = None,
        **kwargs,
    ) -> dg.ExecuteInProcessResult:
        """Materialize the whole graph for one scoring day, as the nightly job does.

        With no CRM and no mail server unless `resources` brings them (outbound tests do).
        """

        from orchestration.definitions import defs
        from orchestration.project import lead_scoring_dbt
        from orchestration.resources import Crm, Dbt, Folders, Mailer, Warehouse
        from orchestration.run_date import AS_OF_TAG

        os.environ["LEAD_SCORING_WAREHOUSE"] = str(self.warehouse)
        return dg.materialize(
            defs.assets,
            tags={AS_OF_TAG: as_of},
            resources={
                "warehouse": Warehouse(path=str(self.warehouse)),
                "folders": Folders(
                    landing_dir=str(self.landing),
                    rules_dir=str(rules_dir or ROOT / "rules"),
                    output_dir=str(self.output),
                ),
                "dbt": Dbt(project_dir=lead_scoring_dbt),
                "crm": Crm(),
                "mailer": Mailer(),
                **(resources or {}),
            },
            raise_on_error=False,
            **kwargs,
        )

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            return connection.execute(sql, params or []).fetchall()

    def records(self, sql: str, params: list | None = None) -> list[dict]:
        """Rows as dicts with DuckDB's Python types (Decimal stays Decimal)."""
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            cursor = connection.execute(sql, params or [])
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def frame(self, sql: str, params: list | None = None):
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            return connection.execute(sql, params or []).df()

    def rebuilt(self, root: Path, as_of: str, model: str) -> Night:
        """A copy of this warehouse with `model` rebuilt from scratch (dbt --full-refresh) on
        the inputs it holds: what an incremental model must equal."""
        copy = Night(root)
        root.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.warehouse, copy.warehouse)
        run_dbt(copy.warehouse, as_of, "run", "--quiet", "--full-refresh", "--select", model)
        return copy


def run_dbt(warehouse: Path, as_of: str, *args: str) -> dict:
    """`dbt <args>` on `warehouse` scoring `as_of`, outside Dagster; dbt's run_results.json.

    The warehouse path is relative to its folder and the day is not a dbt var: the profile
    and vars are then the same for every call, so each reuses the parse the one before left
    in TEST_DBT_TARGET (~2.5 s of each call)."""
    project = ROOT / "dbt_project"
    subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), *args,
         "--project-dir", str(project), "--profiles-dir", str(project),
         "--target-path", str(TEST_DBT_TARGET), "--log-path", str(warehouse.parent / "logs")],
        cwd=warehouse.parent,
        env={**os.environ, "LEAD_SCORING_WAREHOUSE": warehouse.name, "LEAD_SCORING_AS_OF": as_of},
        check=True,
    )  # fmt: skip
    return json.loads((TEST_DBT_TARGET / "run_results.json").read_text())


def make_night(root: Path, *sources: Path) -> Night:
    night = Night(root)
    night.landing.mkdir(parents=True)
    for source in sources:
        for path in sorted(source.glob("*.csv")):
            shutil.copy(path, night.landing / path.name)
    return night


def materialization_metadata(result: dg.ExecuteInProcessResult, key: list[str]) -> dict:
    """The metadata values of the materialization of `key` in a run."""
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        if list(materialization.asset_key.path) == key:
            return {name: value.value for name, value in materialization.metadata.items()}
    raise AssertionError(f"{key} was not materialized")


def failure_messages(result: dg.ExecuteInProcessResult) -> str:
    messages = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data.error:
            messages.append(f"{event.step_key}: {event.step_failure_data.error.message}")
    return "\n".join(messages)


def write_canonical_csv(path: Path, table: str, rows: list[dict]) -> None:
    """A landing file in the canonical layout of a raw table; missing columns are empty."""
    from orchestration.canonical import RAW_TABLES_BY_NAME

    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(RAW_TABLES_BY_NAME[table].columns))
        writer.writeheader()
        writer.writerows(rows)

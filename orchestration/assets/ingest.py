"""Ingest assets: landing-folder exports -> append-only raw tables (one asset per raw table).

Each asset loads every landing file whose format (declared by its folder or name, else detected
from its header: orchestration/formats) feeds its table, and checks the share of rejected rows.
"""

from pathlib import Path

import dagster as dg

from orchestration.canonical import RAW_TABLES, RawTable
from orchestration.formats import FORMATS
from orchestration.loader import LoadReport, load_table
from orchestration.resources import Folders, Warehouse
from orchestration.settings import Settings

REJECT_RATE_CHECK = "reject_rate"


def build_ingest_asset(table: RawTable) -> dg.AssetsDefinition:
    key = dg.AssetKey(["raw", table.name])
    formats = ", ".join(fmt.name for fmt in FORMATS if fmt.table == table.name)

    @dg.asset(
        key=key,
        group_name="ingest",
        description=f"{table.description} Loaded from landing files in these formats: {formats}.",
        kinds={"duckdb", "csv"},
        check_specs=[
            dg.AssetCheckSpec(
                REJECT_RATE_CHECK,
                asset=key,
                description="Warns when a file loaded in this run had more rejected rows than "
                "LEAD_SCORING_MAX_REJECT_RATE allows (see raw.rejected_rows).",
            )
        ],
    )
    def _ingest(
        context: dg.AssetExecutionContext, warehouse: Warehouse, folders: Folders
    ) -> dg.MaterializeResult:
        # read at run time, so a changed variable applies without reloading the code location
        settings = Settings.from_env()
        with warehouse.connect() as connection:
            report = load_table(
                connection, table, Path(folders.landing_dir), settings.source_time_zone
            )
            total_rows = connection.execute(f"select count(*) from raw.{table.name}").fetchone()[0]
        for error in report.errors:
            context.log.error(error)
        if report.errors:
            # Good files are committed already; a broken one stays in the landing folder and is
            # retried next run. Failing makes the problem impossible to miss.
            raise dg.Failure(
                description=f"{len(report.errors)} landing file(s) for raw.{table.name} could not be read",
                metadata={
                    "errors": dg.MetadataValue.md("\n".join(f"- {e}" for e in report.errors))
                },
            )
        return dg.MaterializeResult(
            metadata={
                "files_loaded": dg.MetadataValue.json(report.files_loaded),
                "file_formats": dg.MetadataValue.json(
                    {load.file: load.file_format for load in report.loads}
                ),
                "files_already_loaded": len(report.files_skipped),
                "rows_loaded": report.rows_loaded,
                "rows_rejected": report.rows_rejected,
                # values outside a format's enumeration map (e.g. unknown Marketo activity
                # types): kept as they came, counted here
                "rows_with_unmapped_values": report.rows_unmapped,
                "rows_total": total_rows,
            },
            check_results=[reject_rate_check(report, settings.max_reject_rate)],
        )

    _ingest.__name__ = f"raw_{table.name}"
    return _ingest


def reject_rate_check(report: LoadReport, max_rate: float) -> dg.AssetCheckResult:
    """Passes when every file loaded in this run stayed within the allowed reject rate."""
    rates = {
        load.file: round(load.rows_rejected / load.rows_read, 4) if load.rows_read else 0.0
        for load in report.loads
    }
    over = {name: rate for name, rate in rates.items() if rate > max_rate}
    return dg.AssetCheckResult(
        check_name=REJECT_RATE_CHECK,
        passed=not over,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "max_reject_rate": max_rate,
            "reject_rate_by_file": dg.MetadataValue.json(rates),
            "files_over_the_rate": dg.MetadataValue.json(sorted(over)),
        },
    )


ingest_assets = [build_ingest_asset(table) for table in RAW_TABLES]

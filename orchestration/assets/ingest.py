"""Ingest assets: landing-folder exports -> append-only raw tables (one asset per export kind)."""

from pathlib import Path

import dagster as dg

from orchestration.canonical import RAW_TABLES, RawTable
from orchestration.loader import load_table
from orchestration.resources import Folders, Warehouse


def build_ingest_asset(table: RawTable) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", table.name],
        group_name="ingest",
        description=f"{table.description} Loaded from {table.name}*.csv in the landing folder.",
        kinds={"duckdb", "csv"},
    )
    def _ingest(
        context: dg.AssetExecutionContext, warehouse: Warehouse, folders: Folders
    ) -> dg.MaterializeResult:
        with warehouse.connect() as connection:
            report = load_table(connection, table, Path(folders.landing_dir))
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
                "files_already_loaded": len(report.files_skipped),
                "rows_loaded": report.rows_loaded,
                "rows_rejected": report.rows_rejected,
                "rows_total": total_rows,
            }
        )

    _ingest.__name__ = f"raw_{table.name}"
    return _ingest


ingest_assets = [build_ingest_asset(table) for table in RAW_TABLES]

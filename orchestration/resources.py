"""Dagster resources: the warehouse connection and the folders the pipeline reads and writes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb


class Warehouse(dg.ConfigurableResource):
    """The DuckDB warehouse file shared by the Python assets and dbt.

    DuckDB allows one writing process per file, so every asset opens a short-lived connection
    and the job runs its steps one after another (see definitions.py).
    """

    path: str

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # Timestamps are stored as naive UTC; a session in UTC keeps casts from shifting them.
        connection = duckdb.connect(self.path)
        try:
            connection.execute("set TimeZone = 'UTC'")
            yield connection
        finally:
            connection.close()


class Folders(dg.ConfigurableResource):
    """Where exports land, where the rules live and where outbound files are written."""

    landing_dir: str
    rules_dir: str
    output_dir: str

"""The project's own layout (README "Canonical export format"): canonical column names as
headers, values already canonical. Accepted as CSV, JSON Lines and Parquet."""

from __future__ import annotations

from orchestration.canonical import RAW_TABLES
from orchestration.formats import Format


def canonical_format(table) -> Format:
    return Format(
        name=f"canonical_{table.name}",
        table=table.name,
        description=f"The canonical {table.name} layout (CSV, JSON Lines or Parquet).",
        signature=table.required,
        columns={column: f"@{{{column}}}" for column in table.columns},
        readers=("csv", "jsonl", "parquet"),
    )


FORMATS = [canonical_format(table) for table in RAW_TABLES]

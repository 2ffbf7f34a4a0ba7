"""Writing files that people open: CSVs safe from spreadsheet formula injection."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """Prefix a text cell that a spreadsheet would run as a formula with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv_atomically(frame: pd.DataFrame, path: Path) -> None:
    """Write `frame` as CSV to `path` via a temporary file, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object:
            safe[column] = safe[column].map(neutralise_cell)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as handle:
            safe.to_csv(handle, index=False, lineterminator="\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

"""What the floor and the pandas version share: the rules tables and the CSV column types.

Both read the same rules tables the pipeline writes (orchestration.rules.rule_tables over
rules/), so a change of rules changes all three implementations alike.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import pandas as pd

from orchestration.canonical import RAW_TABLES_BY_NAME
from orchestration.rules import RULE_TABLE_TYPES, load_rules, rule_tables
from orchestration.settings import PROJECT_ROOT

ENGAGEMENT_TABLES = (
    "engagement_settings",
    "engagement_groups",
    "engagement_rules",
    "rule_patterns",
    "page_categories",
)


def engagement_rule_tables() -> dict[str, pd.DataFrame]:
    tables = rule_tables(load_rules(PROJECT_ROOT / "rules"))
    return {name: tables[name] for name in ENGAGEMENT_TABLES}


def typed_rule_select(name: str, frame_name: str) -> str:
    """A SELECT giving a registered rules frame the column types the pipeline gives it."""
    typed = ", ".join(
        f"cast({column} as {kind}) as {column}" for column, kind in RULE_TABLE_TYPES[name].items()
    )
    return f"select {typed} from {frame_name}"


def csv_types(table: str, names: list[str]) -> dict[str, str]:
    """The canonical types of some columns, for DuckDB's read_csv(types=...)."""
    return {name: RAW_TABLES_BY_NAME[table].columns[name] for name in names}


def csv_files(landing: Path, table: str) -> list[str]:
    return sorted(str(path) for path in landing.glob(f"{table}*.csv"))


def score_command_line(doc: str, argv: list[str] | None) -> argparse.Namespace:
    """`LANDING_DIR AS_OF OUT.csv`: the command line of the floor and the pandas version."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("landing", type=Path, help="folder with the canonical CSV exports")
    parser.add_argument("as_of", type=dt.date.fromisoformat, help="the scoring day")
    parser.add_argument("out", type=Path, help="CSV of lead_id, engagement_score")
    return parser.parse_args(argv)

"""CLI: ``python -m orchestration.sample_data --out sample_data --leads 400 --seed 7``."""

from __future__ import annotations

import argparse
from datetime import date

from orchestration.sample_data.generator import generate


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, write the bundle and print the row count of every file."""
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.sample_data",
        description="Write deterministic sample CRM and marketing-automation exports.",
    )
    parser.add_argument("--out", default="sample_data", help="output directory")
    parser.add_argument("--leads", type=int, default=400, help="number of leads")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    parser.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=date(2026, 11, 20),
        help="last day covered by the exports (YYYY-MM-DD)",
    )
    parser.add_argument("--days", type=int, default=90, help="length of the activity window")
    args = parser.parse_args(argv)
    counts = generate(
        args.out, leads=args.leads, seed=args.seed, end_date=args.end_date, days=args.days
    )
    for name, rows in counts.items():
        print(f"{name}: {rows} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

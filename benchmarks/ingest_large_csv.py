"""Benchmark: load one large Marketo activity extract through the real loader.

    .venv/bin/python benchmarks/ingest_large_csv.py --gigabytes 2 [--memory-limit 4GB]

Writes a bulk activity extract of about the given size (DuckDB writes it, so generation is
quick), loads it into a fresh warehouse with `load_table`, and prints rows, wall time and the
process's peak resident memory. The target (issue #3): a 2 GB CSV loads within the machine's
memory, streaming through DuckDB rather than Python. `--memory-limit` caps DuckDB's memory so
the run shows the load spills to disk instead of growing with the file.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import duckdb

from orchestration.canonical import RAW_TABLES_BY_NAME
from orchestration.loader import load_table

ROW_BYTES = 150  # about what one generated row takes


def write_extract(path: Path, gigabytes: float) -> int:
    rows = int(gigabytes * 1e9 / ROW_BYTES)
    with duckdb.connect() as connection:
        connection.execute(
            f"""
            copy (
                select
                    cast(1000000000 + i as varchar) as marketoGUID,
                    cast(5000000 + i % 250000 as varchar) as leadId,
                    strftime(timestamp '2026-08-01' + to_seconds(i % 9000000), '%Y-%m-%dT%H:%M:%SZ')
                        as activityDate,
                    ['1', '2', '10', '11', '104', '100123'][1 + i % 6] as activityTypeId,
                    cast(i % 900 as varchar) as campaignId,
                    cast(i % 5000 as varchar) as primaryAttributeValueId,
                    'www.example-saas.com/page-' || (i % 5000) as primaryAttributeValue,
                    '{{"Webpage URL":"https://www.example-saas.com/page-' || (i % 5000)
                        || '","New Status":"Attended"}}' as attributes
                from range({rows}) as t(i)
            ) to '{path}' (header, quote '"')
            """
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=2.0)
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory_limit, e.g. 4GB")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ingest_benchmark_") as folder:
        landing = Path(folder) / "landing"
        landing.mkdir()
        extract = landing / "bulk_activity_export_benchmark.csv"
        started = time.perf_counter()
        rows = write_extract(extract, args.gigabytes)
        print(
            f"wrote {rows:,} rows, {extract.stat().st_size / 1e9:.2f} GB in {time.perf_counter() - started:.0f} s"
        )
        with duckdb.connect(str(Path(folder) / "lead_scoring.duckdb")) as connection:
            connection.execute("set TimeZone = 'UTC'")
            if args.memory_limit:
                connection.execute(f"set memory_limit = '{args.memory_limit}'")
            started = time.perf_counter()
            report = load_table(connection, RAW_TABLES_BY_NAME["marketing_activities"], landing)
            elapsed = time.perf_counter() - started
        peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # KiB on Linux
        print(
            f"loaded {report.rows_loaded:,} rows, rejected {report.rows_rejected:,}, "
            f"unmapped {report.rows_unmapped:,} in {elapsed:.0f} s "
            f"({extract.stat().st_size / 1e6 / elapsed:.0f} MB/s); peak memory {peak_gb:.1f} GB"
        )
        if report.errors:
            raise SystemExit("\n".join(report.errors))


if __name__ == "__main__":
    main()

"""Load landing files into the append-only raw tables, once each, keeping bad rows.

Every file is loaded in one transaction together with its ledger row, so a file is either
loaded completely (good rows in raw.<table>, bad rows in raw.rejected_rows) or not at all.
The ledger's key is the file's content hash: the same content never loads twice, whatever
its name, and a run that crashes half-way simply loads the file again next time.
All parsing and casting happens inside DuckDB, streaming, never row by row in Python.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.canonical import RAW_TABLES, TIMESTAMP, RawTable

LEDGER_DDL = """
create table if not exists raw.load_ledger (
    table_name varchar not null,
    file_name varchar not null,
    file_path varchar not null,
    file_size bigint not null,
    sha256 varchar not null,
    file_format varchar not null,
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_rejected bigint not null,
    status varchar not null,
    loaded_at timestamp not null,
    primary key (table_name, sha256)
)
"""

REJECTS_DDL = """
create table if not exists raw.rejected_rows (
    table_name varchar not null,
    source_file varchar not null,
    source_row bigint,
    source_line bigint,
    raw_record varchar,
    reason varchar not null,
    loaded_at timestamp not null
)
"""


class LandingFileError(ValueError):
    """A landing file that cannot be read at all; it stays in the folder to be retried."""


@dataclass
class LoadReport:
    table: str
    files_loaded: list[str] = field(default_factory=list)
    files_skipped: list[str] = field(default_factory=list)
    rows_loaded: int = 0
    rows_rejected: int = 0
    errors: list[str] = field(default_factory=list)


def ensure_raw_schema(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema, every raw table, the load ledger and the rejects table."""
    connection.execute("create schema if not exists raw")
    connection.execute(LEDGER_DDL)
    connection.execute(REJECTS_DDL)
    for table in RAW_TABLES:
        columns = ", ".join(f"{name} {kind}" for name, kind in table.columns.items())
        connection.execute(
            f"create table if not exists raw.{table.name} ({columns}, "
            "_source_file varchar not null, _source_row bigint not null, "
            "_loaded_at timestamp not null)"
        )


def landing_files(landing_dir: Path, table: RawTable) -> list[Path]:
    """Files for `table`: its name, optionally followed by `_`, `-` or `.` and more, then .csv."""
    pattern = re.compile(rf"^{re.escape(table.name)}([._-].*)?\.csv$", re.IGNORECASE)
    if not landing_dir.is_dir():
        return []
    return sorted(p for p in landing_dir.iterdir() if p.is_file() and pattern.match(p.name))


def load_table(
    connection: duckdb.DuckDBPyConnection, table: RawTable, landing_dir: Path
) -> LoadReport:
    """Load every landing file of `table` not loaded before; report what happened per file."""
    ensure_raw_schema(connection)
    report = LoadReport(table.name)
    for path in landing_files(landing_dir, table):
        digest = file_sha256(path)
        already = connection.execute(
            "select count(*) from raw.load_ledger where table_name = ? and sha256 = ?",
            [table.name, digest],
        ).fetchone()[0]
        if already:
            report.files_skipped.append(path.name)
            continue
        try:
            loaded, rejected = _load_file(connection, table, path, digest)
        except LandingFileError as exc:
            report.errors.append(str(exc))
            continue
        report.files_loaded.append(path.name)
        report.rows_loaded += loaded
        report.rows_rejected += rejected
    return report


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _load_file(
    connection: duckdb.DuckDBPyConnection, table: RawTable, path: Path, digest: str
) -> tuple[int, int]:
    if path.stat().st_size == 0:
        raise LandingFileError(f"{path}: the file is empty (expected a header and rows)")
    connection.execute("begin transaction")
    try:
        _stage(connection, table, path)
        counts = _append(connection, table, path, digest)
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    finally:
        connection.execute("drop table if exists temp.staged_file")
    return counts


def _stage(connection: duckdb.DuckDBPyConnection, table: RawTable, path: Path) -> None:
    """Read the file as text columns into a temporary table; structural errors go to rejects."""
    try:
        connection.execute(
            """
            create or replace temp table staged_file as
            select row_number() over () as _source_row, *
            from read_csv(
                ?, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"',
                store_rejects = true, rejects_table = 'staged_reject_errors',
                rejects_scan = 'staged_reject_scans'
            )
            """,
            [str(path)],
        )
    except duckdb.Error as exc:
        raise LandingFileError(
            f"{path}: cannot be read as a CSV file for raw.{table.name}: {exc}"
        ) from None
    found = [row[0] for row in connection.execute("describe staged_file").fetchall()][1:]
    missing = [c for c in table.columns if c not in found]
    if missing:
        raise LandingFileError(
            f"{path}: missing column(s) {', '.join(missing)} for raw.{table.name}; "
            f"found columns: {', '.join(found) or '(none)'}; "
            f"expected a comma-separated header with: {', '.join(table.columns)}"
        )


def _append(
    connection: duckdb.DuckDBPyConnection, table: RawTable, path: Path, digest: str
) -> tuple[int, int]:
    casts = {name: _cast(name, kind) for name, kind in table.columns.items()}
    problems = []
    for name, kind in table.columns.items():
        text = f"nullif(trim({_quote(name)}), '')"
        if name in table.required:
            problems.append(f"case when {text} is null then '{name}: required value missing' end")
        if kind != "VARCHAR":
            problems.append(
                f"case when {text} is not null and {casts[name]} is null then "
                f"'{name}: expected {_describe(kind)}, got \"' || {text} || '\"' end"
            )
    reason = f"nullif(concat_ws('; ', {', '.join(problems)}), '')"
    connection.execute(
        f"create or replace temp table staged_checked as select *, {reason} as _reason from staged_file"
    )

    column_list = ", ".join(table.columns)
    cast_list = ", ".join(f"{casts[name]} as {name}" for name in table.columns)
    loaded_at = "cast(now() at time zone 'UTC' as timestamp)"
    file_name = path.name
    connection.execute(
        f"insert into raw.{table.name} ({column_list}, _source_file, _source_row, _loaded_at) "
        f"select {cast_list}, ?, _source_row, {loaded_at} from staged_checked where _reason is null",
        [file_name],
    )
    record = (
        "concat_ws(',', " + ", ".join(f"coalesce({_quote(c)}, '')" for c in table.columns) + ")"
    )
    connection.execute(
        f"insert into raw.rejected_rows "
        f"select ?, ?, _source_row, null, {record}, _reason, {loaded_at} "
        f"from staged_checked where _reason is not null",
        [table.name, file_name],
    )
    # DuckDB's CSV reader reports structural problems (wrong column count, bad quoting,
    # invalid UTF-8) per line and column: one rejected row per line, all its problems listed.
    connection.execute(
        f"insert into raw.rejected_rows "
        f"select ?, ?, null, line, any_value(csv_line), "
        f"string_agg(distinct error_type || ': ' || error_message, '; '), {loaded_at} "
        f"from staged_reject_errors group by line",
        [table.name, file_name],
    )
    rows_read, rows_loaded = connection.execute(
        "select count(*), count(*) filter (where _reason is null) from staged_checked"
    ).fetchone()
    structural = connection.execute(
        "select count(distinct line) from staged_reject_errors"
    ).fetchone()[0]
    rows_rejected = rows_read - rows_loaded + structural
    earlier = connection.execute(
        "select count(*) from raw.load_ledger where table_name = ? and file_name = ?",
        [table.name, file_name],
    ).fetchone()[0]
    connection.execute(
        f"insert into raw.load_ledger values (?, ?, ?, ?, ?, 'canonical_csv', ?, ?, ?, ?, {loaded_at})",
        [
            table.name,
            file_name,
            str(path),
            path.stat().st_size,
            digest,
            rows_read + structural,
            rows_loaded,
            rows_rejected,
            # a file name seen before with other content: a corrected re-export, appended as
            # new versions (staging keeps the latest version of every record)
            "loaded_changed_file" if earlier else "loaded",
        ],
    )
    connection.execute("drop table if exists temp.staged_checked")
    return rows_loaded, rows_rejected


def _cast(name: str, kind: str) -> str:
    text = f"nullif(trim({_quote(name)}), '')"
    if kind == "VARCHAR":
        return text
    if kind == TIMESTAMP:
        # ISO-8601 with an offset (or Z) is converted to UTC; a naive time is taken as UTC.
        return f"timezone('UTC', try_cast({text} as timestamptz))"
    return f"try_cast({text} as {kind})"


def _describe(kind: str) -> str:
    return {
        "BIGINT": "a whole number",
        "DOUBLE": "a number",
        "BOOLEAN": "true or false",
        "TIMESTAMP": "an ISO-8601 timestamp",
    }[kind]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'

"""Load landing files into the append-only raw tables, once each, keeping bad rows.

Every landing file is read by DuckDB (CSV, JSON Lines or Parquet), mapped onto its raw table
by its export format (orchestration/formats: data, one per layout) and loaded in one
transaction together with its ledger row, so a file is either loaded completely (good rows in
raw.<table>, bad rows in raw.rejected_rows) or not at all. The ledger's key is the file's
content hash: the same content never loads twice, whatever its name, and a run that crashes
half-way simply loads the file again next time. All parsing, mapping and casting happens inside
DuckDB, streaming, never row by row in Python; Python only reads the header, hashes the bytes
and, for Windows-1252 files, re-encodes them chunk by chunk (DuckDB reads UTF-8 and Latin-1
only, and its encodings extension is not installable offline).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import tempfile
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.canonical import RAW_TABLES, TIMESTAMP, RawTable
from orchestration.formats import (
    FORMATS,
    FORMATS_BY_NAME,
    PLACEHOLDER,
    Format,
    alternatives,
    detect,
    resolve,
)

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
# Columns added after the first release: older warehouses get them on the next load.
LEDGER_ADDED_COLUMNS = {
    "encoding": "varchar",
    "rows_unmapped": "bigint",
    "file_modified_ns": "bigint",
}

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

# Landing files by extension (other files, such as a README.txt, are left alone).
READERS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}
DELIMITERS = (",", ";", "\t")
LOADED_AT = "cast(now() at time zone 'UTC' as timestamp)"

# Windows-1252 leaves five bytes undefined; read those as Latin-1 rather than fail the file.
codecs.register_error(
    "cp1252_as_latin1", lambda e: (e.object[e.start : e.end].decode("latin-1"), e.end)
)


class LandingFileError(ValueError):
    """A landing file that cannot be read at all; it stays in the folder to be retried."""


@dataclass
class FileLoad:
    """What happened to one file in one run (asset metadata and the reject-rate check)."""

    file: str
    file_format: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    rows_unmapped: int


@dataclass
class LoadReport:
    table: str
    files_loaded: list[str] = field(default_factory=list)
    files_skipped: list[str] = field(default_factory=list)
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_unmapped: int = 0
    errors: list[str] = field(default_factory=list)
    loads: list[FileLoad] = field(default_factory=list)


@dataclass(frozen=True)
class PlannedLoad:
    """Everything known about a file before its rows are read."""

    table: RawTable
    fmt: Format
    digest: str
    encoding: str  # utf-8, windows-1252 (re-encoded first) or binary (JSON Lines, Parquet)
    delimiter: str
    source_time_zone: str
    # size and modification time when it was hashed: a later night skips the unchanged file
    file_size: int
    file_modified_ns: int


@dataclass(frozen=True)
class LandingFile:
    path: Path
    name: str  # as recorded in the ledger: relative to the landing folder
    reader: str
    declared: Format | None  # by its folder or, for canonical files, its name


def ensure_raw_schema(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema, every raw table, the load ledger and the rejects table."""
    connection.execute("create schema if not exists raw")
    connection.execute(LEDGER_DDL)
    connection.execute(REJECTS_DDL)
    for name, kind in LEDGER_ADDED_COLUMNS.items():
        connection.execute(f"alter table raw.load_ledger add column if not exists {name} {kind}")
    for table in RAW_TABLES:
        columns = ", ".join(f"{name} {kind}" for name, kind in table.columns.items())
        connection.execute(
            f"create table if not exists raw.{table.name} ({columns}, "
            "_source_file varchar not null, _source_row bigint not null, "
            "_loaded_at timestamp not null)"
        )
        # optional columns added to the canonical layout later
        for name, kind in table.columns.items():
            connection.execute(
                f"alter table raw.{table.name} add column if not exists {name} {kind}"
            )


def landing_files(landing_dir: Path, table: RawTable) -> list[Path]:
    """Canonical files of `table` by name: its name, then `_`, `-` or `.` and more, a known extension."""
    pattern = re.compile(rf"^{re.escape(table.name)}([._-].*)?\.(csv|jsonl|ndjson|parquet)$", re.I)
    if not landing_dir.is_dir():
        return []
    return sorted(p for p in landing_dir.iterdir() if p.is_file() and pattern.match(p.name))


def discover(landing_dir: Path) -> list[LandingFile]:
    """Every landing file: those in the folder itself (format from the name or the header) and
    those in a sub-folder named after a format (declared: `landing/salesforce_lead/Lead.csv`)."""
    if not landing_dir.is_dir():
        return []
    by_name = {path: table for table in RAW_TABLES for path in landing_files(landing_dir, table)}
    found = []
    for path in sorted(landing_dir.iterdir()):
        if path.is_file() and path.suffix.lower() in READERS:
            table = by_name.get(path)
            declared = FORMATS_BY_NAME[f"canonical_{table.name}"] if table else None
            found.append(LandingFile(path, path.name, READERS[path.suffix.lower()], declared))
        elif path.is_dir() and path.name in FORMATS_BY_NAME:
            for inner in sorted(path.iterdir()):
                if inner.is_file() and inner.suffix.lower() in READERS:
                    name = f"{path.name}/{inner.name}"
                    reader = READERS[inner.suffix.lower()]
                    found.append(LandingFile(inner, name, reader, FORMATS_BY_NAME[path.name]))
    return found


def load_table(
    connection: duckdb.DuckDBPyConnection,
    table: RawTable,
    landing_dir: Path,
    source_time_zone: str = "UTC",
) -> LoadReport:
    """Load every landing file of `table` not loaded before; report what happened per file.

    Naive timestamps (no offset) are taken in `source_time_zone`; everything is stored in UTC.
    """
    zoneinfo.ZoneInfo(source_time_zone)  # a wrong name fails here, not half-way through a file
    ensure_raw_schema(connection)
    report = LoadReport(table.name)
    for landing in discover(landing_dir):
        try:
            fmt, header, dialect = _identify(connection, landing)
        except LandingFileError as exc:
            if _best_guess_table(landing) == table.name:
                report.errors.append(str(exc))
            continue
        if (fmt.table if fmt else _best_guess_table(landing, header)) != table.name:
            continue
        try:
            if fmt is None:
                raise LandingFileError(_unknown_header_message(landing, header))
            if _same_file_loaded(connection, table, landing):
                report.files_skipped.append(landing.name)
                continue
            stat = landing.path.stat()
            digest, encoding = _scan(landing)
            if _already_loaded(connection, table, digest):
                report.files_skipped.append(landing.name)
                continue
            plan = PlannedLoad(
                table,
                fmt,
                digest,
                encoding,
                dialect,
                source_time_zone,
                file_size=stat.st_size,
                file_modified_ns=stat.st_mtime_ns,
            )
            load = _load_file(connection, landing, plan)
        except LandingFileError as exc:
            report.errors.append(str(exc))
            continue
        report.files_loaded.append(landing.name)
        report.loads.append(load)
        report.rows_loaded += load.rows_loaded
        report.rows_rejected += load.rows_rejected
        report.rows_unmapped += load.rows_unmapped
    return report


def _same_file_loaded(connection, table: RawTable, landing: LandingFile) -> bool:
    """The file at this path was loaded and has not been touched since (same size and
    modification time): skip it without reading it. Landing folders keep months of exports,
    and hashing them all again every night would cost more than loading the new one."""
    stat = landing.path.stat()
    return bool(
        connection.execute(
            "select count(*) from raw.load_ledger where table_name = ? and file_path = ? "
            "and file_size = ? and file_modified_ns = ?",
            [table.name, str(landing.path), stat.st_size, stat.st_mtime_ns],
        ).fetchone()[0]
    )


def _already_loaded(connection, table: RawTable, digest: str) -> bool:
    return bool(
        connection.execute(
            "select count(*) from raw.load_ledger where table_name = ? and sha256 = ?",
            [table.name, digest],
        ).fetchone()[0]
    )


# --- identifying a file: reader, encoding, delimiter, header, format ---------------------------

INVALID_UTF8 = re.compile("[\udc80-\udcff]")
VALID_NON_ASCII = re.compile("[^\x00-\x7f\udc80-\udcff]")


def _scan_bytes(path: Path) -> tuple[str, bool, bool]:
    """One streaming pass: the content hash, and whether the bytes hold invalid UTF-8 and valid
    multi-byte UTF-8. Invalid bytes and no valid UTF-8 at all mean a single-byte export
    (Windows-1252 / Latin-1); a mix means a UTF-8 file with some broken rows."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    has_invalid = has_valid = False
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            if (has_invalid and has_valid) or (chunk.isascii() and not decoder.getstate()[0]):
                continue
            text = decoder.decode(chunk)
            has_invalid = has_invalid or bool(INVALID_UTF8.search(text))
            has_valid = has_valid or bool(VALID_NON_ASCII.search(text))
    return digest.hexdigest(), has_invalid, has_valid


def _scan(landing: LandingFile) -> tuple[str, str]:
    digest, has_invalid, has_valid = _scan_bytes(landing.path)
    if landing.reader != "csv":
        return digest, "binary"
    return digest, "windows-1252" if has_invalid and not has_valid else "utf-8"


def _identify(connection, landing: LandingFile) -> tuple[Format | None, list[str], str]:
    """The file's format (None when its header matches none), its header and its delimiter."""
    if landing.path.stat().st_size == 0:
        raise LandingFileError(f"{landing.name}: the file is empty (expected a header and rows)")
    if landing.reader != "csv":
        header = _describe(connection, landing)
        delimiter = ""
    else:
        header, delimiter = _csv_header(landing)
    candidates = (
        [landing.declared]
        if landing.declared
        else [f for f in FORMATS if landing.reader in f.readers]
    )
    fmt = detect(header, candidates)
    if landing.declared and fmt is None:
        raise LandingFileError(_missing_columns_message(landing, landing.declared, header))
    return fmt, header, delimiter


def _csv_header(landing: LandingFile) -> tuple[list[str], str]:
    with landing.path.open("rb") as handle:
        start = handle.read(1 << 16)
    if b"\x00" in start:
        raise LandingFileError(
            f"{landing.name}: is a binary file, not a text export (expected a CSV with a header row)"
        )
    start = start.removeprefix(codecs.BOM_UTF8)
    try:
        # incremental: a character cut at the 64 KiB boundary is not an error
        text = codecs.getincrementaldecoder("utf-8")().decode(start, final=False)
    except UnicodeDecodeError:
        text = start.decode("cp1252", errors="cp1252_as_latin1")  # a Windows-1252 export
    # the delimiter that splits the header into the most columns; none at all -> one column
    best_header, best_delimiter = [], ","
    for delimiter in DELIMITERS:
        rows = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"')
        header = next(rows, [])
        if len(header) > len(best_header):
            best_header, best_delimiter = header, delimiter
    return [column.strip() for column in best_header], best_delimiter


def _describe(connection, landing: LandingFile) -> list[str]:
    try:
        rows = connection.execute(f"describe select * from {_reader_sql(landing, landing.path)}")
        return [row[0] for row in rows.fetchall()]
    except duckdb.Error as exc:
        raise LandingFileError(
            f"{landing.name}: cannot be read as {landing.reader}: {exc}"
        ) from None


def _reader_sql(landing: LandingFile, path: Path) -> str:
    """The DuckDB reader of a JSON Lines or Parquet file, with its path as a SQL literal."""
    if landing.reader == "jsonl":
        return f"read_json({_literal(str(path))}, format = 'newline_delimited')"
    return f"read_parquet({_literal(str(path))})"


def _best_guess_table(landing: LandingFile, header: list[str] | None = None) -> str:
    """Which ingest asset reports a file that cannot be loaded: its declared table, else the
    table of the format sharing most of its columns, else raw.crm_leads (the main export)."""
    if landing.declared:
        return landing.declared.table
    keys = {column.lower() for column in header or []}
    overlap = {fmt.table: 0 for fmt in FORMATS}
    for fmt in FORMATS:
        shared = sum(name.lower() in keys for name in fmt.referenced_columns())
        overlap[fmt.table] = max(overlap[fmt.table], shared)
    table, shared = max(overlap.items(), key=lambda item: item[1])
    return table if shared else "crm_leads"


def _unknown_header_message(landing: LandingFile, header: list[str]) -> str:
    expected = "; ".join(
        f"{fmt.name} ({', '.join(fmt.signature)})"
        for fmt in FORMATS
        if landing.reader in fmt.readers
    )
    return (
        f"{landing.name}: the header matches no known export format; "
        f"found columns: {', '.join(header) or '(none)'}; expected one of: {expected}"
    )


def _missing_columns_message(landing: LandingFile, fmt: Format, header: list[str]) -> str:
    missing = [group for group in fmt.signature if not resolve(alternatives(group), header)]
    return (
        f"{landing.name}: missing required column(s) {', '.join(missing)} for {fmt.name} "
        f"(raw.{fmt.table}); found columns: {', '.join(header) or '(none)'}; "
        f"expected a header with: {', '.join(fmt.signature)} "
        f"(optional: {', '.join(c for c in fmt.columns if c not in fmt.signature)})"
    )


# --- loading one file --------------------------------------------------------------------------


def _load_file(connection, landing: LandingFile, plan: PlannedLoad) -> FileLoad:
    with tempfile.TemporaryDirectory(prefix="lead_scoring_load_") as scratch:
        readable = landing.path
        if plan.encoding == "windows-1252":
            readable = Path(scratch) / "utf8.csv"
            _transcode_cp1252(landing.path, readable)
        try:
            _stage(connection, landing, readable, plan.delimiter)
            _check(connection, landing, plan)
            # the file's rows, rejects and ledger entry land together or not at all
            connection.execute("begin transaction")
            try:
                load = _append(connection, landing, plan)
                connection.execute("commit")
            except BaseException:
                connection.execute("rollback")
                raise
        finally:
            connection.execute("drop view if exists temp.mapped_file")
            connection.execute("drop view if exists temp.staged_file")
            for temp in (
                "checked_file",
                "staged_reject_errors",
                "staged_reject_scans",
            ):
                connection.execute(f"drop table if exists temp.{temp}")
    return load


def _transcode_cp1252(source: Path, target: Path) -> None:
    """Re-encode a Windows-1252 export as UTF-8, a megabyte at a time (single-byte encoding:
    a chunk boundary never splits a character)."""
    with source.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            dst.write(chunk.decode("cp1252", errors="cp1252_as_latin1"))


def _stage(connection, landing: LandingFile, readable: Path, delimiter: str) -> None:
    """The file as text columns: a view, read once (into checked_file), so a file of tens of
    millions of rows is not copied first; structural CSV errors go to rejects as it is read."""
    if landing.reader == "csv":
        source = (
            f"read_csv({_literal(str(readable))}, header = true, all_varchar = true, "
            f"delim = {_literal(delimiter)}, quote = '\"', escape = '\"', "
            "store_rejects = true, rejects_table = 'staged_reject_errors', "
            "rejects_scan = 'staged_reject_scans')"
        )
    else:
        source = _reader_sql(landing, readable)
    try:
        # every column as text; a JSON value of mixed types (a string here, a number there) is
        # unquoted rather than kept as JSON text
        described = connection.execute(f"describe select * from {source}").fetchall()
        texts = ", ".join(
            f"json_extract_string({_quote(name)}, '$') as {_quote(name)}"
            if kind == "JSON"
            else f"cast({_quote(name)} as varchar) as {_quote(name)}"
            for name, kind, *_ in described
        )
        connection.execute(
            f"create or replace temp view staged_file as select {texts} from {source}"
        )
    except duckdb.Error as exc:
        raise LandingFileError(
            f"{landing.name}: cannot be read as {landing.reader}: {exc}"
        ) from None
    if landing.reader != "csv":
        connection.execute(
            "create or replace temp table staged_reject_errors (line bigint, column_idx bigint, "
            "csv_line varchar, error_type varchar, error_message varchar)"
        )


def _check(connection, landing: LandingFile, plan: PlannedLoad) -> None:
    """One pass from the file's text to typed values and the reason a row is rejected, into
    checked_file: the only copy of the file besides the raw table (an export can hold tens of
    millions of rows).

    A row's number in the file is its position in checked_file (rowid), which the parallel
    scan keeps in file order (DuckDB preserves insertion order). Numbering the rows as they are
    read (row_number() over ()) would make the whole read single-threaded: twice as slow. The
    table is built outside the load's transaction, where rowids are positions from 0."""
    table, fmt = plan.table, plan.fmt
    connection.execute("set preserve_insertion_order = true")  # the default; rowids rely on it
    header = [row[0] for row in connection.execute("describe staged_file").fetchall()]
    _check_required_columns(table, fmt, landing, header)
    _map(connection, table, fmt, header)
    casts = {name: _cast(name, kind, plan.source_time_zone) for name, kind in table.columns.items()}
    problems = []
    for name, kind in table.columns.items():
        text = _quote(name)
        if name in table.required:
            problems.append(f"case when {text} is null then '{name}: required value missing' end")
        if kind != "VARCHAR":
            problems.append(
                f"case when {text} is not null and {casts[name]} is null then "
                f"'{name}: expected {_describe_kind(kind)}, got \"' || {text} || '\"' end"
            )
    reason = f"nullif(concat_ws('; ', {', '.join(problems)}), '')"
    cast_list = ", ".join(f"{casts[name]} as {name}" for name in table.columns)
    # the row as the file had it (all its columns), kept for a rejected row so it can be fixed
    # and re-sent; built in the CASE, only for rejected rows
    original = (
        "concat_ws(',', "
        + ", ".join(f"coalesce({_quote(_file_column(i))}, '')" for i in range(len(header)))
        + ")"
    )
    connection.execute(
        f"create or replace temp table checked_file as "
        f"select _unmapped, {cast_list}, _reason, "
        f"case when _reason is not null then {original} end as _original "
        f"from (select *, {reason} as _reason from mapped_file)"
    )


def _append(connection, landing: LandingFile, plan: PlannedLoad) -> FileLoad:
    """checked_file -> the raw table and raw.rejected_rows, and the file's ledger entry."""
    table, fmt = plan.table, plan.fmt
    column_list = ", ".join(table.columns)
    # rowid counts from 0 in file order (see _check); rows are numbered from 1
    connection.execute(
        f"insert into raw.{table.name} ({column_list}, _source_file, _source_row, _loaded_at) "
        f"select {column_list}, ?, rowid + 1, {LOADED_AT} "
        f"from checked_file where _reason is null",
        [landing.name],
    )
    connection.execute(
        f"insert into raw.rejected_rows "
        f"select ?, ?, rowid + 1, null, _original, _reason, {LOADED_AT} "
        f"from checked_file where _reason is not null",
        [table.name, landing.name],
    )
    # DuckDB's CSV reader reports structural problems (wrong column count, bad quoting,
    # invalid UTF-8) per line and column (a short line once per missing column): one rejected
    # row per line, each kind of problem once, with its first message.
    connection.execute(
        f"insert into raw.rejected_rows "
        f"select ?, ?, null, line, any_value(csv_line), "
        f"string_agg(error_type || ': ' || first_message, '; ' order by error_type), {LOADED_AT} "
        f"from (select line, error_type, any_value(csv_line) as csv_line, "
        f"arg_min(error_message, column_idx) as first_message "
        f"from staged_reject_errors group by line, error_type) group by line",
        [table.name, landing.name],
    )
    rows_read, rows_loaded, rows_unmapped = connection.execute(
        "select count(*), count(*) filter (where _reason is null), "
        "count(*) filter (where _unmapped) from checked_file"
    ).fetchone()
    structural = connection.execute(
        "select count(distinct line) from staged_reject_errors"
    ).fetchone()[0]
    rows_rejected = rows_read - rows_loaded + structural
    earlier = connection.execute(
        "select count(*) from raw.load_ledger where table_name = ? and file_name = ?",
        [table.name, landing.name],
    ).fetchone()[0]
    connection.execute(
        "insert into raw.load_ledger (table_name, file_name, file_path, file_size, "
        "file_modified_ns, sha256, file_format, encoding, rows_read, rows_loaded, rows_rejected, "
        f"rows_unmapped, status, loaded_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {LOADED_AT})",
        [
            table.name,
            landing.name,
            str(landing.path),
            plan.file_size,
            plan.file_modified_ns,
            plan.digest,
            f"{fmt.name}_{landing.reader}",
            plan.encoding,
            rows_read + structural,
            rows_loaded,
            rows_rejected,
            rows_unmapped,
            # a file name seen before with other content: a corrected re-export, appended as
            # new versions (staging keeps the latest version of every record)
            "loaded_changed_file" if earlier else "loaded",
        ],
    )
    return FileLoad(
        landing.name, fmt.name, rows_read + structural, rows_loaded, rows_rejected, rows_unmapped
    )


def _check_required_columns(table: RawTable, fmt: Format, landing: LandingFile, header: list[str]):
    """A required canonical column must come from some column of the file."""
    missing = [
        column
        for column in table.required
        if not any(resolve(group, header) for group in fmt.source_columns(column))
    ]
    if missing:
        raise LandingFileError(
            _missing_columns_message(landing, fmt, header)
            + f" (no source for {', '.join(missing)})"
        )


def _map(connection, table: RawTable, fmt: Format, header: list[str]) -> None:
    """staged_file (the file's own columns, as text) -> mapped_file (canonical columns, as text)."""
    nulls = ", ".join(_literal(v.lower()) for v in fmt.null_values)

    def source(match: re.Match) -> str:
        column = resolve(alternatives(match.group(1)), header)
        if column is None:
            return "cast(null as varchar)"
        text = f"nullif(trim({_quote(column)}), '')"
        return (
            f"(case when lower({text}) in ({nulls}) then null else {text} end)" if nulls else text
        )

    expressions = {
        column: PLACEHOLDER.sub(source, fmt.columns.get(column, "null")) for column in table.columns
    }
    selected, unmapped = [], []
    for column, expression in expressions.items():
        values = fmt.values.get(column)
        if values:
            prefix = _literal(fmt.unmapped_prefix.get(column, ""))
            cases = " ".join(
                f"when {_literal(k.lower())} then {_literal(v)}" for k, v in values.items()
            )
            expression_text = f"cast(({expression}) as varchar)"
            mapped = f"case lower({expression_text}) {cases} else {prefix} || {expression_text} end"
            keys = ", ".join(_literal(k.lower()) for k in values)
            unmapped.append(
                f"({expression_text} is not null and lower({expression_text}) not in ({keys}))"
            )
            expression = mapped
        selected.append(f"cast(({expression}) as varchar) as {_quote(column)}")
    flag = " or ".join(unmapped) or "false"
    # the file's own columns too, by position (a rejected row is kept as the file had it)
    file_columns = ", ".join(
        f"{_quote(c)} as {_quote(_file_column(i))}" for i, c in enumerate(header)
    )
    mapped = (
        f"select {', '.join(selected)}, coalesce({flag}, false) as _unmapped, {file_columns} "
        "from staged_file"
    )
    if table.hash_missing_key:
        # an event exported without an id gets a stable one from what it says, so the same
        # event exported twice is still recognised as one
        key = _quote(table.key_column)
        others = [c for c in table.columns if c != table.key_column]
        content = ", ".join(f"coalesce({_quote(c)}, '')" for c in others)
        mapped = (
            f"select * replace (coalesce({key}, 'sha256:' || sha256(concat_ws('|', {content}))) "
            f"as {key}) from ({mapped})"
        )
    # a view: read once, into checked_file
    connection.execute(f"create or replace temp view mapped_file as {mapped}")


def _file_column(position: int) -> str:
    """mapped_file's name for the file's own column at `position` (from 0)."""
    return f"_file_column_{position}"


def _cast(name: str, kind: str, source_time_zone: str) -> str:
    text = _quote(name)
    if kind == "VARCHAR":
        return text
    if kind == TIMESTAMP:
        return _timestamp(text, source_time_zone)
    return f"try_cast({text} as {kind})"


def _timestamp(text: str, source_time_zone: str) -> str:
    """Text -> naive UTC timestamp. Accepted: ISO-8601 with `Z` or an offset (`+02:00`, `+0200`,
    `+00`), Salesforce `2024-03-12T09:14:00.000Z`, epoch milliseconds (12-13 digits, HubSpot's
    legacy APIs), and naive date-times or dates (HubSpot UI `2023-02-21 10:37`, Salesforce dates)
    which are read in the configured source time zone."""
    zone = _literal(source_time_zone)
    with_offset = r"'[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$'"
    return (
        f"case when regexp_full_match({text}, '-?[0-9]{{12,13}}') "
        f"then make_timestamp(cast({text} as bigint) * 1000) "
        f"when regexp_matches({text}, {with_offset}) "
        f"then timezone('UTC', try_cast({text} as timestamptz)) "
        f"else timezone('UTC', timezone({zone}, try_cast({text} as timestamp))) end"
    )


def _describe_kind(kind: str) -> str:
    return {
        "BIGINT": "a whole number",
        "DOUBLE": "a number",
        "BOOLEAN": "true or false",
        "TIMESTAMP": "an ISO-8601 timestamp",
    }[kind]


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'

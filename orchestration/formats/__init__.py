"""Export formats as data: how each real export layout maps onto the canonical raw tables.

A `Format` says which raw table a file feeds, which header columns identify it, and, for every
canonical column, a SQL expression over the file's own columns. One generic loader
(orchestration/loader.py) applies any format inside DuckDB, so accepting a new export layout
means adding one `Format` here, not a new code path.

Column templates refer to source columns as `@{Label|internal_name}`: the first alternative
present in the header (matched case-insensitively, ignoring surrounding spaces) is used, as
trimmed text with empty cells as NULL; when none is present the placeholder is NULL. Every
source value reaches the template as text; the loader casts the result to the canonical type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

PLACEHOLDER = re.compile(r"@\{([^{}]+)\}")


@dataclass(frozen=True)
class Format:
    name: str
    table: str
    description: str
    # header columns ("A|B" = either) that must all be present for the header to be recognised
    signature: tuple[str, ...]
    # canonical column -> SQL template over @{source} placeholders; absent columns load as NULL
    columns: Mapping[str, str]
    # canonical column -> {source value (label or internal name, any case) -> canonical value};
    # a value not in the map is kept as it came (with `unmapped_prefix`) and counted
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    unmapped_prefix: Mapping[str, str] = field(default_factory=dict)
    # cell texts that mean "no value" besides the empty cell (Marketo writes `null`)
    null_values: tuple[str, ...] = ()
    # the readers that can carry this layout: csv, jsonl, parquet
    readers: tuple[str, ...] = ("csv",)

    def source_columns(self, canonical_column: str) -> list[list[str]]:
        """The placeholders of one column's template, each as its list of alternatives."""
        template = self.columns.get(canonical_column, "")
        return [alternatives(group) for group in PLACEHOLDER.findall(template)]

    def referenced_columns(self) -> set[str]:
        names = {name for template in self.columns.values() for name in _names(template)}
        return names | {name for group in self.signature for name in alternatives(group)}


def alternatives(group: str) -> list[str]:
    return [name.strip() for name in group.split("|")]


def _names(template: str) -> list[str]:
    return [name for group in PLACEHOLDER.findall(template) for name in alternatives(group)]


def header_key(name: str) -> str:
    """How header names are compared: case-insensitive, surrounding spaces ignored."""
    return name.strip().lower()


def resolve(group: list[str], header: list[str]) -> str | None:
    """The header column that fills a placeholder: its first alternative present, if any."""
    by_key = {header_key(column): column for column in header}
    for name in group:
        if header_key(name) in by_key:
            return by_key[header_key(name)]
    return None


def matches_signature(fmt: Format, header: list[str]) -> bool:
    return all(resolve(alternatives(group), header) for group in fmt.signature)


def detect(header: list[str], candidates: list[Format]) -> Format | None:
    """The format a header belongs to: of those whose signature it has, the one that maps the
    most of its columns (a Salesforce Lead header also has an Account's Id, Name and Industry,
    but far more Lead fields)."""
    matching = [fmt for fmt in candidates if matches_signature(fmt, header)]
    if not matching:
        return None
    keys = {header_key(column) for column in header}

    def coverage(fmt: Format) -> int:
        return sum(header_key(name) in keys for name in fmt.referenced_columns())

    return max(matching, key=coverage)


def _all_formats() -> list[Format]:
    from orchestration.formats import canonical, hubspot, marketo, salesforce

    return [
        *canonical.FORMATS,
        *salesforce.FORMATS,
        *hubspot.FORMATS,
        *marketo.FORMATS,
    ]


FORMATS: list[Format] = _all_formats()
FORMATS_BY_NAME: dict[str, Format] = {fmt.name: fmt for fmt in FORMATS}

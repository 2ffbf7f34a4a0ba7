"""Files for people: CSV cells cannot run as spreadsheet formulas."""

from __future__ import annotations

import csv

import duckdb

from orchestration.outbound_files import neutralise_cell, write_query_csv


def test_formula_cells_are_neutralised_and_types_kept(tmp_path):
    names = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", 'Ada, "the" one', None]
    with duckdb.connect() as connection:
        connection.execute(
            "create table people as select unnest(?) as name, "
            "unnest(range(1, 9)) as score, unnest(?) as since",
            [names, ["2026-11-20"] * 8],
        )
        path = tmp_path / "out" / "report.csv"
        write_query_csv(
            connection,
            "select name, score, cast(since as date) as since, -1.5 as change from people "
            "where score > ? order by score",
            path,
            [0],
        )
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["name"] for row in rows] == [neutralise_cell(name) or "" for name in names]
    assert [row["name"] for row in rows][:6] == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
    ]
    # numbers and dates are left alone, written as the warehouse types them
    assert [row["score"] for row in rows] == [str(n) for n in range(1, 9)]
    assert {row["since"] for row in rows} == {"2026-11-20"}
    assert {row["change"] for row in rows} == {"-1.5"}
    assert [p.name for p in path.parent.iterdir()] == ["report.csv"]  # no temporary left over


def test_numbers_are_left_alone():
    assert neutralise_cell(-3) == -3
    assert neutralise_cell(None) is None

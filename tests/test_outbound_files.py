"""Files for people: CSV cells cannot run as spreadsheet formulas."""

from __future__ import annotations

import csv

import pandas as pd

from orchestration.outbound_files import neutralise_cell, write_csv_atomically


def test_formula_cells_are_neutralised(tmp_path):
    frame = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "Ada"],
            "score": [1, 2, 3, 4, 5, 6],
        }
    )
    path = tmp_path / "out" / "report.csv"
    write_csv_atomically(frame, path)
    with path.open(newline="") as handle:
        names = [row["name"] for row in csv.DictReader(handle)]
    assert names == ['\'=HYPERLINK("http://x")', "'+1", "'-2", "'@SUM(A1)", "'\tx", "Ada"]
    assert [p.name for p in path.parent.iterdir()] == ["report.csv"]  # no temporary left over


def test_numbers_are_left_alone():
    assert neutralise_cell(-3) == -3
    assert neutralise_cell(None) is None

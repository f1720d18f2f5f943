from __future__ import annotations

from portal.spreadsheet import excel_safe, excel_unquote


def test_cells_that_excel_would_run_as_formulas_are_quoted():
    values = ("=1+1", "+49", "-2", "@SUM(A1)", "\tx", "\rx", "Müller", "")
    assert [excel_safe(v) for v in values] == [
        "'=1+1",
        "'+49",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "Müller",
        "",
    ]


def test_unquoting_gives_back_what_was_quoted_and_leaves_names_with_a_quote_alone():
    for value in ("=1+1", "+49 228 18123413", "-2", "@x", "Müller", "", "'t Hart"):
        assert excel_unquote(excel_safe(value)) == value
    assert excel_unquote("'t Hart") == "'t Hart"
    assert excel_unquote("'") == "'"

"""What a run prints on error: one line of a readable length; the whole text goes to the log."""

import logging

from pipelines.console import MAX_ERROR_CHARS, fail


def test_a_long_error_of_several_lines_is_one_readable_line_and_logged_whole(capsys, caplog):
    detail = "dbt build failed: " + "; ".join(f"model.deliverability.mart_{n} relation already exists" for n in range(40))
    with caplog.at_level(logging.ERROR):
        fail(detail + "\nTraceback follows")
    printed = capsys.readouterr().err
    assert printed.count("\n") == 1 and len(printed) <= len("error: ") + MAX_ERROR_CHARS + 1
    assert printed.startswith("error: dbt build failed: model.deliverability.mart_0") and "the run's log" in printed
    assert detail in caplog.text


def test_a_short_error_is_printed_as_it_is(capsys):
    fail("SOURCES__INSTANTLY__API_KEY is empty")
    assert capsys.readouterr().err == "error: SOURCES__INSTANTLY__API_KEY is empty\n"

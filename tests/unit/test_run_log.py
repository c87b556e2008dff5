"""The run's log file takes what is not for the cron output."""

import logging
import sys

from pipelines.commands.run_log import open_run_log


class FailsWhenCollected:
    def __del__(self):
        raise RuntimeError("Event loop is closed")


def test_an_exception_python_cannot_raise_goes_to_the_log_not_to_stderr(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOG_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)  # put back after the test
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    log = open_run_log("run")
    FailsWhenCollected()  # collected at once: Python reports what its __del__ raised
    logging.getLogger().handlers[0].flush()
    assert "Event loop is closed" in log.read_text()
    assert capsys.readouterr().err == ""

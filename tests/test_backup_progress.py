"""The progress of a backup or restore on stderr: a bar redrawn in place on a terminal, a
plain line at each quarter in logs and cron mail, and nothing for a quiet step off a terminal."""

from __future__ import annotations

import io

import pytest

from townsquare.site.backup import progress as progress_module
from townsquare.site.backup.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(stream: io.StringIO, steps: list[int], total: int, **options: bool) -> str:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(progress_module.sys, "stderr", stream)
        clock = iter(range(1, 10_000))  # a second between updates: each is drawn
        patch.setattr(progress_module.time, "monotonic", lambda: float(next(clock)))
        with Progress("backup", total, **options) as bar:
            for done in steps:
                bar.update(done)
    return stream.getvalue()


def test_on_a_terminal_the_bar_is_redrawn_in_place_and_ends_its_line() -> None:
    shown = _run(Terminal(), [512 * 1024, 1024 * 1024], 2 * 1024 * 1024)
    frames = shown.split("\r")[1:]
    assert frames[0].startswith("backup [" + "#" * 7 + "-" * 23 + "]  25% (512.0 kB of 2.0 MB)")
    assert frames[1].startswith("backup [" + "#" * 15 + "-" * 15 + "]  50%")
    # Leaving the step draws the end and starts a new line for what is printed next.
    assert frames[-1].startswith("backup [" + "#" * 30 + "] 100% (2.0 MB of 2.0 MB)")
    assert shown.endswith("\n") and shown.count("\n") == 1


def test_in_a_log_it_is_a_line_at_each_quarter() -> None:
    shown = _run(io.StringIO(), list(range(0, 101, 5)), 100)
    assert "\r" not in shown
    assert [line.split(":")[1].split("%")[0].strip() for line in shown.splitlines()] == [
        "0",
        "25",
        "50",
        "75",
        "100",
    ]


def test_a_quiet_step_says_nothing_off_a_terminal_but_shows_on_one() -> None:
    assert _run(io.StringIO(), [10, 50], 100, quiet_unless_tty=True) == ""
    assert "100%" in _run(Terminal(), [10, 50], 100, quiet_unless_tty=True)


def test_a_step_stopped_by_a_problem_ends_the_bars_line_without_claiming_100() -> None:
    stream = Terminal()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(progress_module.sys, "stderr", stream)
        with pytest.raises(OSError), Progress("restore", 100) as bar:
            bar.update(40)
            raise OSError("disk full")
    shown = stream.getvalue()
    assert " 40%" in shown and "100%" not in shown and shown.endswith("\n")

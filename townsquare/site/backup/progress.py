"""The progress of a long step (writing, checking or unpacking an archive), on stderr."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """How far a long step is, on stderr. On a terminal a bar redrawn in place; otherwise
    (logs, cron mail) a plain line at each quarter, so the output stays short."""

    WIDTH = 30

    def __init__(self, label: str, total: int, *, quiet_unless_tty: bool = False) -> None:
        self.stream: TextIO = sys.stderr
        self.tty = self.stream.isatty()
        self.silent = quiet_unless_tty and not self.tty
        self.label = label
        self.total = max(total, 1)
        self.done = 0
        self.quarter = -1
        self.drawn_at = 0.0
        self.drawn = -1

    def update(self, done: int) -> None:
        self.done = min(done, self.total)
        if self.silent:
            return
        if self.tty:
            now = time.monotonic()
            if self.done != self.drawn and (now - self.drawn_at >= 0.1 or self.done == self.total):
                self.drawn_at, self.drawn = now, self.done
                self._draw()
        elif (quarter := self.done * 4 // self.total) > self.quarter:
            self.quarter = quarter
            print(f"{self.label}: {self._figures()}", file=self.stream, flush=True)

    def advance(self, amount: int) -> None:
        self.update(self.done + amount)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        """Show the end; on a terminal, end the bar's line (also when a problem stops the
        step, so that its message starts a line of its own)."""
        if kind is None:
            self.update(self.total)
        if self.tty and not self.silent and self.drawn >= 0:
            print(file=self.stream, flush=True)

    def _figures(self) -> str:
        done, total = human_size(self.done), human_size(self.total)
        return f"{self.done * 100 // self.total:3d}% ({done} of {total})"

    def _draw(self) -> None:
        filled = self.done * self.WIDTH // self.total
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {self._figures()}   ")
        self.stream.flush()


def human_size(count: int) -> str:
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} kB"
    return f"{count / 1024 / 1024:.1f} MB"

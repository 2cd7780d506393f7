"""Progress of an import, in bytes of the file, for a progress bar on large files.

An import runs a few long DuckDB statements. :class:`Meter` divides the file's size into bands, one per
step (transcode, stage, check, store), and while a statement runs it polls DuckDB's own progress of that
statement (``query_progress``) from the calling thread, so the callback is always called there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import duckdb

ProgressCallback = Callable[[int, int], None]

#: How often a running statement's progress is polled, in seconds.
POLL_S = 0.2


class Meter:
    """Reports ``progress(done, total)`` with ``total`` the file's size in bytes."""

    def __init__(self, callback: ProgressCallback | None, total: int) -> None:
        self.callback = callback
        self.total = max(int(total), 1)
        self.low = 0.0
        self.high = 0.0
        self.last = -1

    def band(self, low: float, high: float) -> None:
        """The next step moves the bar from ``low`` to ``high`` (fractions of the whole import)."""
        self.report(low)
        self.low, self.high = low, high

    def within(self, fraction: float) -> None:
        """``fraction`` of the current step is done."""
        self.report(self.low + (self.high - self.low) * min(max(fraction, 0.0), 1.0))

    def report(self, fraction: float) -> None:
        if self.callback is None:
            return
        done = int(self.total * min(max(fraction, 0.0), 1.0))
        if done != self.last:
            self.last = done
            self.callback(done, self.total)

    def done(self) -> None:
        self.report(1.0)

    def execute(self, con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> Any:
        """Run one statement, reporting its progress within the current step; returns its first row."""
        if self.callback is None:
            return con.execute(sql, params).fetchone() if params else con.execute(sql).fetchone()
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                cur = con.execute(sql, params) if params else con.execute(sql)
                outcome["row"] = cur.fetchone()
            except BaseException as exc:  # handed to the calling thread
                outcome["error"] = exc

        worker = threading.Thread(target=run, name="pingan-import", daemon=True)
        worker.start()
        try:
            while worker.is_alive():
                worker.join(POLL_S)
                try:
                    percent = con.query_progress()
                except duckdb.Error:
                    percent = -1
                if percent is not None and percent >= 0:
                    self.within(percent / 100.0)
        except BaseException:
            con.interrupt()
            worker.join()
            raise
        if "error" in outcome:
            raise outcome["error"]
        self.within(1.0)
        return outcome.get("row")

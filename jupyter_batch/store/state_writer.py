"""Write-behind for state changes: the engine never waits for the database.

Changes are queued in order and a writer thread persists everything queued so far in
one transaction, so under load many transitions share a commit. ``flush`` waits until
everything put before it is stored; ``on_stored`` hears of each batch once it is.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

from ..model.changes import Change
from .runs import RunRepo

log = logging.getLogger(__name__)


class StateWriter:
    """``linger``: how long the writer lets changes gather after the first one arrives.

    Each write holds Python's GIL for a while (building statements), and a thread waking
    up behind it can wait up to the interpreter's switch interval (5 ms): writing every
    change at once would slow the engine's own hand-offs. A short linger turns many
    small writes into one; ``flush`` skips it.
    """

    def __init__(self, runs: RunRepo, linger: float = 0.02,
                 on_stored: Callable[[list[Change]], None] | None = None) -> None:
        self._runs = runs
        self._on_stored = on_stored
        self._linger = linger
        self._flushing = 0
        self._pending: deque[Change] = deque()
        self._cond = threading.Condition()
        self._put_count = 0
        self._written_count = 0
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="batch-state-writer",
                                        daemon=True)
        self._thread.start()

    def put(self, change: Change) -> None:
        with self._cond:
            self._pending.append(change)
            self._put_count += 1
            if len(self._pending) == 1:  # wake the writer once per batch, not per change
                self._cond.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every change put so far is stored; False on timeout."""
        with self._cond:
            target = self._put_count
            self._flushing += 1
            self._cond.notify_all()
            try:
                return self._cond.wait_for(lambda: self._written_count >= target, timeout)
            finally:
                self._flushing -= 1

    def close(self) -> None:
        self.flush()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join()

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._closed)
                if not self._pending and self._closed:
                    return
                self._cond.wait_for(lambda: self._flushing or self._closed, self._linger)
                batch = list(self._pending)
                self._pending.clear()
            try:
                self._runs.apply(batch)
            except Exception:  # keep the writer alive; the changes are logged as lost
                log.exception("could not store %d state changes", len(batch))
            else:
                if self._on_stored is not None:
                    try:
                        self._on_stored(batch)
                    except Exception:
                        log.exception("a listener of stored state changes failed")
            with self._cond:
                self._written_count += len(batch)
                self._cond.notify_all()

"""Live updates: a source's state changes, applied to a widget one at a time on a thread
of the widget's own.

Why a thread of its own: a source calls its subscribers from whatever thread produced
the change — with a local service, the thread that drives the run. Work done there
(reading a log, re-rendering SVG, a REST call) would slow the run down, so the
subscriber only queues the change. Why not the kernel's event loop: the loop is busy
while a cell runs, and a user who shows a run's DAG and then waits for the run in the
same cell would see nothing move until the run had ended. Setting traits from another
thread is safe with ipykernel (its IOPub socket is thread-safe); each widget applies its
changes on one thread, and takes its own lock where a user's click touches the same state.

There is no timer anywhere: a widget does work only when a change arrives.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

import ipywidgets

from ..model.changes import Change
from .closing import close_tree
from .source import BatchSource

log = logging.getLogger(__name__)


class Feed:
    """The changes of a source that ``accept`` keeps, queued from the moment it is made
    and handed to ``handle`` in order once ``start`` is called.

    Subscribing before a widget reads its first snapshot and applying the queued changes
    after it means no change falls between the two: a change the snapshot already holds
    is applied again, which ends in the same state.
    """

    def __init__(self, source: BatchSource, accept: Callable[[Change], bool]) -> None:
        self._accept = accept
        self._queue: queue.SimpleQueue[Change | None] = queue.SimpleQueue()
        self._pending = 0
        self._idle = threading.Condition()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = source.subscribe(self._offer)

    def _offer(self, change: Change) -> None:
        if self._accept(change):
            with self._idle:
                self._pending += 1
            self._queue.put(change)

    def start(self, handle: Callable[[Change], None]) -> None:
        """Apply every queued and future change with ``handle``, on the feed's thread."""
        self._thread = threading.Thread(target=self._loop, args=(handle,), daemon=True,
                                        name="batch-widget-feed")
        self._thread.start()

    def _loop(self, handle: Callable[[Change], None]) -> None:
        while (change := self._queue.get()) is not None:
            try:
                handle(change)
            except Exception:  # one bad update must not end live updates for good
                log.exception("a widget failed to apply %r", change)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every change received so far has been applied (e.g. after waiting
        for a run, before reading a widget's state); False when ``timeout`` ran out."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self) -> None:
        """End the subscription, then the thread once it has applied what was queued."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._thread is not None:
            self._queue.put(None)
            if self._thread is not threading.current_thread():
                self._thread.join()
            self._thread = None


class LiveBox(ipywidgets.VBox):
    """A box of widgets kept current by a ``Feed`` (``_feed``; None for a static view)."""

    _feed: Feed | None = None

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until the changes received so far are shown (see ``Feed.drain``)."""
        return self._feed is None or self._feed.drain(timeout)

    def close(self) -> None:
        """End live updates and close every widget in the box."""
        if self._feed is not None:
            self._feed.close()
        for child in self.children:
            close_tree(child)
        super().close()

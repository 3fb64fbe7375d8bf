"""A watchdog that ends the task processes of a process that died.

A process that starts task process groups (a Dask worker) may be killed outright (by
SIGKILL, or by running out of memory); its tasks would then run on, unseen, while the
engine retries them elsewhere. So it starts one watchdog, ``python -m
jupyter_batch.executors.watchdog``, and tells it through a pipe which groups to watch:
``+PGID MARKER`` when a task starts, ``-PGID`` when it has ended. When the pipe closes
— its owner ended, however it ended — the watchdog SIGKILLs every group still watched
whose leader still carries ``MARKER`` in its environment (a reused pid is left alone),
then exits.
"""

from __future__ import annotations

import subprocess
import sys
import threading

from .local import end_leftovers


class Watchdog:
    """The owner's end of the pipe (thread-safe)."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen([sys.executable, "-m", __name__],
                                      stdin=subprocess.PIPE, start_new_session=True)
        self._lock = threading.Lock()

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def _say(self, line: str) -> None:
        with self._lock:
            assert self._proc.stdin is not None
            self._proc.stdin.write(line.encode() + b"\n")
            self._proc.stdin.flush()

    def watch(self, pgid: int, marker: str) -> None:
        self._say(f"+{pgid} {marker}")

    def forget(self, pgid: int) -> None:
        self._say(f"-{pgid}")


_watchdog: Watchdog | None = None
_lock = threading.Lock()


def watchdog() -> Watchdog:
    """This process's watchdog, started on first use."""
    global _watchdog
    with _lock:
        if _watchdog is None or not _watchdog.alive:
            _watchdog = Watchdog()
        return _watchdog


def main() -> None:
    watched: dict[int, str] = {}
    for line in sys.stdin:
        head, _, marker = line.rstrip("\n").partition(" ")
        if head.startswith("+"):
            watched[int(head[1:])] = marker
        elif head.startswith("-"):
            watched.pop(int(head[1:]), None)
    for pgid, marker in watched.items():
        end_leftovers([pgid], marker)


if __name__ == "__main__":
    main()

"""The end of one task attempt's log, followed by reading only what is new."""

from __future__ import annotations

from ..errors import NotFound
from .source import BatchSource

#: how much of a log a widget keeps (the head of a long log is not worth the memory)
TAIL_CHARS = 20_000


class LogTail:
    """The last ``TAIL_CHARS`` of an attempt's log and where the next read starts.

    ``pull`` asks the source for the bytes after ``offset`` and appends them, so a log
    followed for an hour is read once, not once per update. A new attempt (a retry, a
    rerun) starts a new log: ``follow`` with another attempt starts over.
    """

    def __init__(self, source: BatchSource, run_id: int, task: str) -> None:
        self._source = source
        self.run_id = run_id
        self.task = task
        self.attempt = 0
        self.offset = 0
        self.text = ""
        self.complete = False

    def follow(self, attempt: int) -> None:
        """Follow ``attempt`` (0: the task has not run, there is no log)."""
        if attempt != self.attempt:
            self.attempt, self.offset, self.text, self.complete = attempt, 0, "", False

    def pull(self, ended: bool = False) -> bool:
        """Append what the attempt has written since the last pull; whether anything
        changed. ``ended``: the caller has seen the attempt end, so this read is the last
        (the engine writes a log's last line before it reports the end). Does nothing
        once the log is complete."""
        if self.attempt == 0 or self.complete:
            return False
        try:
            part = self._source.read_log(self.run_id, self.task, self.attempt, self.offset)
        except NotFound:  # a source behind its own changes: the next change reads again
            return False
        self.offset = part.next_offset
        self.complete = part.complete or ended
        if part.text:
            self.text = (self.text + part.text)[-TAIL_CHARS:]
        return bool(part.text) or part.complete

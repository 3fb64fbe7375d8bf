"""The errors jupyter-batch raises, one class per kind.

Front ends map the *kind* once (HTTP status, CLI exit code); nothing else inspects
messages. Every error carries a message a person understands and, where it helps,
structured fields.
"""

from __future__ import annotations

from dataclasses import dataclass


class BatchError(Exception):
    """Base of every error jupyter-batch raises on purpose."""

    #: a short machine-readable name of the kind, used by the REST API's ``reason``
    reason = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidInput(BatchError):
    """A value given by the user is malformed (a bad name, a bad format, a bad date)."""

    reason = "invalid"


class NotFound(BatchError):
    """The named thing (workflow, resource, version, run, task) does not exist."""

    reason = "not_found"


class Conflict(BatchError):
    """The request contradicts the current state (e.g. publishing an invalid draft)."""

    reason = "conflict"


class CorruptBlob(BatchError):
    """Stored content no longer matches its sha256: it is never served."""

    reason = "corrupt"


class CycleError(InvalidInput):
    """The relations form a cycle; ``cycle`` lists its nodes in order."""

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__("relations form a cycle: " + " -> ".join([*cycle, cycle[0]]))


@dataclass(frozen=True)
class Problem:
    """One validation problem: where it is (``tasks[3].resource``) and what is wrong."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class InvalidWorkflow(InvalidInput):
    """A workflow failed validation; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem], name: str | None = None) -> None:
        self.problems = problems
        head = f"workflow {name!r} is invalid" if name else "the workflow is invalid"
        super().__init__(f"{head}: " + "; ".join(str(p) for p in problems))

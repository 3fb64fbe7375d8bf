"""What an executor runs: a process described as data (never a shell string built from
parameters), and what came of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class Limits:
    """OS-enforced limits of one task process (None = no limit)."""

    timeout: float | None = None
    memory_mb: int | None = None
    cpu_seconds: int | None = None


@dataclass(frozen=True)
class ProcessSpec:
    argv: list[str]
    cwd: Path
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    limits: Limits = Limits()
    #: written to the log before the process starts (what runs, which attempt)
    log_header: str = ""
    #: a module whose ``prepare()``/``serve(job)`` can run this job in a process forked
    #: from a warm fork server instead of starting ``argv`` from scratch
    warm_module: str | None = None
    #: what such a worker is told to do (``argv`` carries the same for a cold start)
    job: dict[str, Any] | None = None
    #: the pool the task runs in (an executor may map it to the resources of a machine)
    pool: str | None = None
    #: the folder holding every file of the attempt (``cwd``, the outputs file, an
    #: executed notebook; None: ``cwd``). An executor that runs the process on another
    #: machine ships ``cwd``'s content there and rewrites paths under this folder that
    #: appear in ``argv`` and ``env`` to its own copy.
    run_folder: Path | None = None
    #: files under ``run_folder`` that are read after the process ended: such an executor
    #: brings them back before ``wait`` returns
    returns: tuple[Path, ...] = ()


@dataclass(frozen=True)
class ProcessResult:
    exit_code: int | None
    #: why the process was ended from outside ("timed out after 5 s", "stopped"), if it was
    ended_by: str | None = None
    timed_out: bool = False


class Execution(Protocol):
    """One started process as the engine sees it."""

    @property
    def pid(self) -> int:
        """Its process group on this machine (0 when it runs elsewhere)."""

    def wait(self, tick: Callable[[], None] | None = None, every: float = 1.0
             ) -> ProcessResult:
        """Block until it ended (enforcing ``limits.timeout``), calling ``tick`` about
        every ``every`` seconds meanwhile; its log is complete when this returns."""

    def kill(self, reason: str = "stopped") -> None:
        """End its whole process tree (from any thread); ``wait`` then returns."""


class Executor(Protocol):
    """Where task processes run. It may also offer ``warm_up(module)``."""

    name: str

    def start(self, spec: ProcessSpec) -> Execution: ...

    def close(self) -> None: ...

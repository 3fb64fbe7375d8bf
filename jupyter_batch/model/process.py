"""What an executor runs: a process described as data (never a shell string built from
parameters), and what came of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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


@dataclass(frozen=True)
class ProcessResult:
    exit_code: int | None
    #: why the process was ended from outside ("timed out after 5 s", "stopped"), if it was
    ended_by: str | None = None
    timed_out: bool = False

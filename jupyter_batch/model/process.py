"""What an executor runs: a process described as data (never a shell string built from
parameters), and what came of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


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


@dataclass(frozen=True)
class ProcessResult:
    exit_code: int | None
    #: why the process was ended from outside ("timed out after 5 s", "stopped"), if it was
    ended_by: str | None = None
    timed_out: bool = False

"""The local executor: each task is a subprocess in its own process group (session).

Its stdout and stderr go to the attempt's log file, readable while it runs. A timeout
or a stop ends the whole group — the task's children and grandchildren too — first
with SIGTERM, then SIGKILL after a grace period; and when the task's main process
exits, whatever it left running in its group is ended as well.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from ..model.process import ProcessResult, ProcessSpec

_LAUNCHER = str(Path(__file__).with_name("rlimit_exec.py"))


def _kill_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


class LocalExecution:
    """One running process group."""

    def __init__(self, proc: subprocess.Popen[bytes], spec: ProcessSpec, grace: float) -> None:
        self._proc = proc
        self._spec = spec
        self._grace = grace
        self._ended_by: str | None = None
        self._lock = threading.Lock()

    @property
    def pid(self) -> int:
        return self._proc.pid

    def _terminate(self, reason: str) -> None:
        with self._lock:
            if self._ended_by is not None:
                return
            self._ended_by = reason
        _kill_group(self._proc.pid, signal.SIGTERM)
        timer = threading.Timer(self._grace, _kill_group, (self._proc.pid, signal.SIGKILL))
        timer.daemon = True
        timer.start()

    def kill(self, reason: str = "stopped") -> None:
        """End the process group (from any thread); ``wait`` then returns."""
        self._terminate(reason)

    def wait(self) -> ProcessResult:
        """Wait for the process, enforcing the timeout; then clear its group."""
        timeout = self._spec.limits.timeout
        timed_out = False
        try:
            code = self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            self._terminate(f"timed out after {timeout:g} s")
            code = self._proc.wait()
        _kill_group(self._proc.pid, signal.SIGKILL)
        return ProcessResult(exit_code=code, ended_by=self._ended_by, timed_out=timed_out)


class LocalExecutor:
    """Starts task processes on this machine."""

    name = "local"

    def __init__(self, grace: float = 3.0) -> None:
        self.grace = grace
        # opened once: opening /dev/null for every task is a measurable cost
        self._devnull = os.open(os.devnull, os.O_RDONLY)

    def start(self, spec: ProcessSpec) -> LocalExecution:
        argv = spec.argv
        limits = spec.limits
        if limits.memory_mb or limits.cpu_seconds:
            argv = [sys.executable, "-S", _LAUNCHER, str((limits.memory_mb or 0) * 1024 * 1024),
                    str(limits.cpu_seconds or 0), "--", *argv]
        env = {**os.environ, **spec.env}
        log = os.open(spec.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            if spec.log_header:
                os.write(log, spec.log_header.encode("utf-8", errors="replace"))
            proc = subprocess.Popen(argv, cwd=spec.cwd, env=env, stdin=self._devnull,
                                    stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, close_fds=True)
        finally:
            os.close(log)
        return LocalExecution(proc, spec, self.grace)

    def close(self) -> None:
        os.close(self._devnull)

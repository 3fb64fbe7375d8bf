"""The local executor: each task is a process in its own process group (session).

Its stdout and stderr go to the attempt's log file, readable while it runs. A timeout
or a stop ends the whole group — the task's children and grandchildren too — first
with SIGTERM, then SIGKILL after a grace period; and when the task's main process
exits, whatever it left running in its group is ended as well.

Tasks that name a ``warm_module`` (notebooks) are forked from a warm fork server
(``forkserver.py``) when the pool is enabled, instead of starting from scratch.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ..model.process import ProcessResult, ProcessSpec

_LAUNCHER = str(Path(__file__).with_name("rlimit_exec.py"))


_FS_ENCODING, _FS_ERRORS = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()
_DEFAULT_PATH = os.defpath.encode()


def _encode_env(env: dict[str, str]) -> dict[bytes, bytes]:
    """An environment as the OS takes it (what ``os.fsencode`` does, without a call per
    string). Popen encodes a ``str`` environment in Python on every start; bytes pass
    through."""
    return {k.encode(_FS_ENCODING, _FS_ERRORS): v.encode(_FS_ENCODING, _FS_ERRORS)
            for k, v in env.items()}


class ProgramPaths:
    """Where a program named without a folder lives, looked up in ``PATH`` as ``exec``
    would, and remembered for ``ttl`` seconds.

    Given a bare name, Popen builds every candidate path in Python and the child tries
    ``execve`` on each in turn until one exists — nine failed ``execve`` calls for
    ``true`` with a typical PATH, while the starting thread holds the GIL. Like a
    shell's command hash, a remembered path can miss a program installed meanwhile in
    an earlier PATH folder; the ``ttl`` bounds that, and a remembered path that went
    away is looked up again (``forget``).
    """

    def __init__(self, ttl: float = 5.0) -> None:
        self._ttl = ttl
        self._known: dict[tuple[str, bytes], tuple[str, float]] = {}

    def find(self, name: str, search_path: bytes) -> str | None:
        """The program's full path, or None (a name with a folder is not looked up)."""
        if os.sep in name:
            return None
        key = (name, search_path)
        now = time.monotonic()
        known = self._known.get(key)
        if known is not None and known[1] > now:
            return known[0]
        found = shutil.which(name, path=os.fsdecode(search_path))
        if found is None:
            self._known.pop(key, None)
            return None
        self._known[key] = (found, now + self._ttl)
        return found

    def forget(self, name: str, search_path: bytes) -> None:
        self._known.pop((name, search_path), None)


def _kill_group(pgid: int, sig: int) -> None:
    if pgid <= 0:  # never signal our own group (0) or every process (-1)
        return
    try:  # noqa: SIM105 (called after every task: cheaper than contextlib.suppress)
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def end_leftovers(pids: list[int], marker: str) -> list[int]:
    """SIGKILL the process groups ``pids`` that are still alive *and* still carry
    ``marker`` (e.g. ``BATCH_RUN_ID=7``) in their environment — a reused pid belongs to
    someone else and is left alone. Returns the groups ended."""
    ended = []
    needle = marker.encode() + b"\0"
    for pid in pids:
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except (OSError, ValueError):
            continue
        if needle in environ:
            _kill_group(pid, signal.SIGKILL)
            ended.append(pid)
    return ended


class GroupExecution:
    """One running process group: ``wait`` enforces the timeout, ``kill`` ends it."""

    def __init__(self, spec: ProcessSpec, grace: float) -> None:
        self._spec = spec
        self._grace = grace
        self._ended_by: str | None = None
        self._lock = threading.Lock()
        self._kill_timer: threading.Timer | None = None

    @property
    def pid(self) -> int:
        raise NotImplementedError

    def _wait_exit(self, timeout: float | None) -> int | None:
        """The exit code, or None when ``timeout`` passed first."""
        raise NotImplementedError

    def _terminate(self, reason: str) -> None:
        with self._lock:
            if self._ended_by is not None:
                return
            self._ended_by = reason
        _kill_group(self.pid, signal.SIGTERM)
        self._kill_timer = threading.Timer(self._grace, _kill_group, (self.pid, signal.SIGKILL))
        self._kill_timer.daemon = True
        self._kill_timer.start()

    def kill(self, reason: str = "stopped") -> None:
        """End the process group (from any thread); ``wait`` then returns."""
        self._terminate(reason)

    def wait(self, tick: Callable[[], None] | None = None, every: float = 1.0
             ) -> ProcessResult:
        """Wait for the process, enforcing the timeout; then clear its group. ``tick``
        is called about ``every`` seconds while it runs (to tell that its log grew)."""
        timeout = self._spec.limits.timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            step = left if tick is None else every if left is None else min(every, left)
            code = self._wait_exit(step)
            if code is not None or (deadline is not None and time.monotonic() >= deadline):
                break
            if tick is not None:
                tick()
        timed_out = code is None
        if timed_out:
            self._terminate(f"timed out after {timeout:g} s")
            code = self._wait_exit(None)
        _kill_group(self.pid, signal.SIGKILL)
        if self._kill_timer is not None:  # the group is gone: never signal a reused pid
            self._kill_timer.cancel()
        return ProcessResult(exit_code=code, ended_by=self._ended_by, timed_out=timed_out)


def _open_pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when ``pid`` exits (Linux 5.3+), else None."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


class PopenExecution(GroupExecution):
    """A process we started. Its exit is waited for on a pidfd where the OS has them:
    ``Popen.wait(timeout)`` polls with sleeps that double from 0.5 ms, which adds about
    as much again to a short task as the task itself takes."""

    def __init__(self, proc: subprocess.Popen[bytes], spec: ProcessSpec, grace: float) -> None:
        super().__init__(spec, grace)
        self._proc = proc
        self._pidfd: int | None = None  # opened by the first wait with a timeout

    @property
    def pid(self) -> int:
        return self._proc.pid

    def _wait_exit(self, timeout: float | None) -> int | None:
        if timeout is not None and self._pidfd is None and self._proc.returncode is None:
            self._pidfd = _open_pidfd(self._proc.pid)
        if self._pidfd is not None and timeout is not None:
            poller = select.poll()
            poller.register(self._pidfd, select.POLLIN)
            if not poller.poll(timeout * 1000):
                return None
            timeout = None  # it has exited: reaping it does not block
        try:
            code = self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None
        return code


class ForkedExecution(GroupExecution):
    """A job served by a fork-server worker: not our child, so its exit code arrives
    through the server's protocol."""

    def __init__(self, spec: ProcessSpec, grace: float) -> None:
        super().__init__(spec, grace)
        self._pid = 0
        self._started = threading.Event()
        self._exited = threading.Event()
        self._code: int | None = None

    @property
    def pid(self) -> int:
        self._started.wait()
        return self._pid

    def started(self, pid: int) -> None:
        self._pid = pid
        self._started.set()

    def exited(self, code: int | None) -> None:
        self._code = code
        self._started.set()
        self._exited.set()

    def _wait_exit(self, timeout: float | None) -> int | None:
        if not self._exited.wait(timeout):
            return None
        return self._code


class ForkServerClient:
    """Talks to one fork server process (started on first use)."""

    def __init__(self, module: str, pool_size: int) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_batch.executors.forkserver", module,
             str(pool_size)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            start_new_session=True)
        self._lock = threading.Lock()
        self._next_id = 0
        self._pending: dict[int, ForkedExecution] = {}
        self._reader = threading.Thread(target=self._read, name=f"forkserver-{module}",
                                        daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def start(self, spec: ProcessSpec, grace: float) -> ForkedExecution:
        execution = ForkedExecution(spec, grace)
        job = {**(spec.job or {}), "log": str(spec.log_path), "cwd": str(spec.cwd),
               "env": spec.env, "log_header": spec.log_header,
               "memory_mb": spec.limits.memory_mb, "cpu_seconds": spec.limits.cpu_seconds}
        with self._lock:
            self._next_id += 1
            job_id = self._next_id
            self._pending[job_id] = execution
            assert self._proc.stdin is not None
            self._proc.stdin.write((json.dumps({"op": "run", "id": job_id, "job": job})
                                    + "\n").encode())
            self._proc.stdin.flush()
        return execution

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            event = json.loads(line)
            with self._lock:
                execution = self._pending.get(event["id"])
                if event["event"] == "exit":
                    self._pending.pop(event["id"], None)
            if execution is None:
                continue
            if event["event"] == "started":
                execution.started(event["pid"])
            else:
                execution.exited(event["code"])
        with self._lock:  # the server died: nothing pending will ever report
            pending, self._pending = self._pending, {}
        for execution in pending.values():
            execution.exited(None)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            assert self._proc.stdin is not None
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            _kill_group(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        self._reader.join(timeout=5)
        if self._proc.stdout is not None:
            self._proc.stdout.close()


class LocalExecutor:
    """Starts task processes on this machine.

    ``warm_pool_size`` workers per warm module are kept prepared ahead of need (0 turns
    the fork servers off: every task then starts from scratch). Tasks inherit
    ``base_env`` (default: the environment this executor was created in).
    """

    name = "local"

    def __init__(self, grace: float = 3.0, warm_pool_size: int = 2,
                 base_env: dict[str, str] | None = None) -> None:
        self.grace = grace
        self.warm_pool_size = warm_pool_size
        # encoded once: reading os.environ, or handing Popen a str environment, encodes
        # every variable again on each start
        self._base_env = _encode_env(dict(os.environ) if base_env is None else base_env)
        self._programs = ProgramPaths()
        self._servers: dict[str, ForkServerClient] = {}
        self._lock = threading.Lock()
        # opened once: opening /dev/null for every task is a measurable cost
        self._devnull = os.open(os.devnull, os.O_RDONLY)

    def warm_up(self, module: str) -> None:
        """Start the fork server for ``module`` now, so its workers are prepared by the
        time a task needs one."""
        if self.warm_pool_size > 0:
            self._server(module)

    def _server(self, module: str) -> ForkServerClient:
        with self._lock:
            server = self._servers.get(module)
            if server is None or not server.alive:
                server = self._servers[module] = ForkServerClient(module,
                                                                  self.warm_pool_size)
            return server

    def start(self, spec: ProcessSpec) -> GroupExecution:
        if spec.warm_module and self.warm_pool_size > 0:
            return self._server(spec.warm_module).start(spec, self.grace)
        argv = spec.argv
        limits = spec.limits
        if limits.memory_mb or limits.cpu_seconds:
            argv = [sys.executable, "-S", _LAUNCHER, str((limits.memory_mb or 0) * 1024 * 1024),
                    str(limits.cpu_seconds or 0), "--", *argv]
        env = _encode_env(spec.env)
        search_path = env.get(b"PATH", self._base_env.get(b"PATH", _DEFAULT_PATH))
        log = os.open(spec.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            if spec.log_header:
                os.write(log, spec.log_header.encode("utf-8", errors="replace"))
            try:
                return self._start_process(argv, spec, env, log, search_path)
            except FileNotFoundError:  # a remembered program went away: look again
                self._programs.forget(argv[0], search_path)
                return self._start_process(argv, spec, env, log, search_path)
        finally:
            os.close(log)

    def _start_process(self, argv: list[str], spec: ProcessSpec, env: dict[bytes, bytes],
                       log: int, search_path: bytes) -> GroupExecution:
        """Start ``argv`` with the task's variables ``env`` over the inherited ones."""
        proc = subprocess.Popen(argv, executable=self._programs.find(argv[0], search_path),
                                cwd=spec.cwd, env={**self._base_env, **env},
                                stdin=self._devnull, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, close_fds=True)
        return PopenExecution(proc, spec, self.grace)

    def close(self) -> None:
        with self._lock:
            servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.close()
        os.close(self._devnull)

"""A fork server: import a module once, then fork processes that each serve one job.

Run as ``python -m jupyter_batch.executors.forkserver MODULE POOL_SIZE``. ``MODULE``
provides ``prepare()`` (done in each forked worker *before* its job: e.g. boot a kernel)
and ``serve(job, prepared) -> exit code``. The server keeps ``POOL_SIZE`` workers
prepared ahead of need; each serves exactly one job and exits, so nothing leaks from
one job into the next. Forking a process that has already imported the heavy modules
costs milliseconds instead of the second it takes to start Python and import them.

Protocol, one JSON object per line. In: ``{"op": "run", "id": N, "job": {...}}``. Out:
``{"event": "started", "id": N, "pid": P}`` then ``{"event": "exit", "id": N,
"code": C}`` (negative C: killed by signal -C). Each worker leads its own session, so
its whole process tree can be signalled with ``killpg(P)``. When standard input closes,
the server ends every worker it forked and exits.

The server never starts a thread: forking a threaded process is unsafe.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import selectors
import signal
import sys
from collections import deque
from typing import Any


class ForkServer:
    def __init__(self, module: Any, pool_size: int, out: int) -> None:
        self.module = module
        self.pool_size = pool_size
        self.out = out
        self.idle: deque[tuple[int, int]] = deque()  # (pid, job pipe write end)
        self.running: dict[int, int] = {}  # pid -> job id
        self.buffer = b""

    def emit(self, **event: Any) -> None:
        os.write(self.out, (json.dumps(event) + "\n").encode())

    def fork_worker(self) -> tuple[int, int]:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker
            try:
                os.close(write_end)
                for _, fd in self.idle:
                    os.close(fd)
                os.setsid()
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                devnull = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(devnull, fd)
                os.close(self.out)
                try:
                    prepared: Any = self.module.prepare()
                except BaseException as exc:  # reported to the job's log by serve()
                    prepared = exc
                with os.fdopen(read_end, "rb") as pipe:
                    data = pipe.read()
                code = self.module.serve(json.loads(data), prepared) if data else 0
            except BaseException:
                code = 70
            os._exit(code)
        os.close(read_end)
        return pid, write_end

    def fill(self) -> None:
        while len(self.idle) < self.pool_size:
            self.idle.append(self.fork_worker())

    def run(self, job_id: int, job: dict[str, Any]) -> None:
        pid, write_end = self.idle.popleft() if self.idle else self.fork_worker()
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(json.dumps(job).encode())
        self.running[pid] = job_id
        self.emit(event="started", id=job_id, pid=pid)

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            code = os.waitstatus_to_exitcode(status)
            if pid in self.running:
                self.emit(event="exit", id=self.running.pop(pid), code=code)
            else:  # a prepared worker died before its job: replace it
                for item in list(self.idle):
                    if item[0] == pid:
                        self.idle.remove(item)
                        os.close(item[1])

    def read_requests(self) -> bool:
        chunk = os.read(0, 65536)
        if not chunk:
            return False
        self.buffer += chunk
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            request = json.loads(line)
            if request.get("op") == "run":
                self.run(int(request["id"]), request["job"])
        return True

    def shutdown(self) -> None:
        for pid in [*self.running, *(p for p, _ in self.idle)]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)

    def serve_forever(self) -> None:
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_write, False)
        signal.set_wakeup_fd(wake_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGTERM, lambda *_: None)
        selector = selectors.DefaultSelector()
        selector.register(0, selectors.EVENT_READ, "requests")
        selector.register(wake_read, selectors.EVENT_READ, "signal")
        self.fill()
        try:
            while True:
                for key, _ in selector.select():
                    if key.data == "signal":
                        os.read(wake_read, 4096)
                        self.reap()
                    elif not self.read_requests():
                        return
                self.fill()
        finally:
            self.shutdown()


def main() -> None:
    module = importlib.import_module(sys.argv[1])
    pool_size = int(sys.argv[2])
    # the protocol gets its own descriptor; stray prints go to stderr (the server log)
    out = os.dup(1)
    os.dup2(2, 1)
    ForkServer(module, pool_size, out).serve_forever()


if __name__ == "__main__":
    main()

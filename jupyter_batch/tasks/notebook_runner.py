"""Runs inside a notebook task's process: papermill executes one notebook.

Two ways in:
- cold: ``python -m jupyter_batch.tasks.notebook_runner JOB_JSON`` — papermill starts a
  fresh kernel in this process's working directory;
- warm: a fork server (``executors/forkserver.py``) has imported this module once and
  forks workers that call ``prepare()`` ahead of need (fork a kernel and connect to it)
  and then ``serve(job)``: the kernel moves to the task's folder and environment and
  papermill runs the notebook on it. One kernel serves one notebook, then it is killed.

The job: ``input``, ``output`` (the executed notebook, kept per attempt, also when a cell
fails), ``parameters`` (injected the papermill way), ``kernel`` (and ``kernel_default``:
true when the notebook named none, so python3 was chosen for it); for warm workers also
``log``, ``cwd``, ``env``, ``log_header``, ``memory_mb``, ``cpu_seconds``.

A kernel that is not installed where the notebook runs ends the task with one line that
names it and the kernels that are, like a failing cell's.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import resource
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from queue import Empty
from typing import Any

import papermill
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.connect import write_connection_file
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async

from ..task import set_failure

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class Prepared:
    """A kernel forked ahead of need, and how to reach it."""

    pid: int
    connection_file: str


def _kernel_child(connection_file: str, parent: int) -> None:
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(["-f", connection_file, f"--IPKernelApp.parent_handle={parent}",
                    "--IPKernelApp.log_level=CRITICAL"])
    app.start()


def prepare() -> Prepared:
    """Fork a python3 kernel now (this worker has no threads or sockets yet)."""
    folder = tempfile.mkdtemp(prefix="batch-kernel-")
    connection_file, _ = write_connection_file(os.path.join(folder, "kernel.json"),
                                               ip="127.0.0.1")
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        try:
            _kernel_child(connection_file, parent)
        finally:
            os._exit(0)
    return Prepared(pid, connection_file)


class QuickReadyClient(AsyncKernelClient):
    """A kernel client that is ready as soon as both channels answer.

    jupyter_client asks for ``kernel_info`` and then waits 0.2 s for an IOPub message to
    prove its subscription is live; the first message is usually published before the
    subscription reaches the kernel, so every client pays that wait at least once. Here
    the proof is retried every 20 ms instead — same guarantee, a tenth of the delay.
    """

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout if timeout is not None else 60.0)
        while time.monotonic() < deadline:
            self.kernel_info()
            try:
                reply = await ensure_async(self.shell_channel.get_msg(timeout=1))
            except Empty:
                continue
            if reply["msg_type"] != "kernel_info_reply":
                continue
            try:
                await ensure_async(self.iopub_channel.get_msg(timeout=0.02))
            except Empty:
                continue
            self._handle_kernel_info_reply(reply)
            return
        raise RuntimeError(f"the kernel did not become ready within {timeout} s")

    wait_for_ready = _async_wait_for_ready  # type: ignore[assignment]


class AttachedKernelManager(AsyncKernelManager):
    """A kernel manager for a kernel this process forked itself: papermill (nbclient)
    uses it like any other, and it is killed, not shut down politely, when done."""

    def __init__(self, prepared: Prepared, **kwargs: Any) -> None:
        super().__init__(connection_file=prepared.connection_file,
                         client_class=f"{__name__}.QuickReadyClient", **kwargs)
        self.load_connection_file()
        self._pid = prepared.pid

    @property
    def has_kernel(self) -> bool:
        return True

    async def is_alive(self) -> bool:  # type: ignore[override]
        try:
            pid, _ = os.waitpid(self._pid, os.WNOHANG)
        except ChildProcessError:
            return False
        return pid == 0

    async def interrupt_kernel(self) -> None:  # type: ignore[override]
        os.kill(self._pid, signal.SIGINT)

    async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:  # type: ignore[override]
        kill_kernel(self._pid)


def kill_kernel(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _not_a_builtin_warning(record: logging.LogRecord) -> bool:
    """Built-ins (``batch_*``) reach every notebook; papermill need not warn that a
    notebook does not declare them. It still warns about the user's own parameters."""
    return not record.getMessage().startswith("Passed unknown parameter: batch_")


def _setup_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(_not_a_builtin_warning)
    logger = logging.getLogger("papermill")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False


def execute(job: dict[str, Any], km: Any = None) -> int:
    """Run the notebook; a failing cell is reported (type, message, cell) and exits 1,
    and so is a kernel that is not installed."""
    _setup_logging()
    kernel = job.get("kernel") or "python3"
    try:
        language = _language(kernel)
    except UnknownKernel as exc:
        print(exc, file=sys.stderr)
        set_failure(str(exc))
        return 1
    if job.get("kernel_default"):
        print(f"the notebook names no kernel in its metadata: running it with {kernel}",
              file=sys.stderr)
    try:
        papermill.execute_notebook(
            job["input"], job["output"], parameters=job.get("parameters") or {},
            kernel_name=kernel, language=language, km=km, log_output=True,
            progress_bar=False, request_save_on_cell_execute=True)
    except papermill.PapermillExecutionError as exc:
        print(f"\nnotebook failed in cell {exc.cell_index} (execution count "
              f"{exc.exec_count}): {exc.ename}: {exc.evalue}", file=sys.stderr)
        print("--- failing cell ---\n" + exc.source.rstrip() + "\n--- traceback ---",
              file=sys.stderr)
        print(_ANSI.sub("", "\n".join(exc.traceback)), file=sys.stderr)
        print(f"the executed notebook up to the error is kept: {job['output']}",
              file=sys.stderr)
        set_failure(f"cell {exc.cell_index}: {exc.ename}: {exc.evalue}")
        return 1
    return 0


class UnknownKernel(Exception):
    """No kernel of that name is installed here."""


def _language(kernel: str) -> str:
    """The kernel's language, so a notebook without language metadata still runs (papermill
    needs it to write the parameters cell); UnknownKernel, naming the installed kernels,
    when there is no such kernel."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    specs = KernelSpecManager()
    try:
        return specs.get_kernel_spec(kernel).language
    except NoSuchKernel:
        installed = ", ".join(sorted(specs.find_kernel_specs())) or "none"
        raise UnknownKernel(f"no kernel named {kernel!r} (installed: {installed})") from None


def _limit(pid: int, memory_mb: int | None, cpu_seconds: int | None) -> None:
    if memory_mb:
        size = memory_mb * 1024 * 1024
        resource.prlimit(pid, resource.RLIMIT_DATA, (size, size))
    if cpu_seconds:
        resource.prlimit(pid, resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))


def serve(job: dict[str, Any], prepared: Prepared | BaseException) -> int:
    """In a warm worker: move into the task's log, folder and environment, hand the
    prepared kernel the same, run the notebook, kill the kernel."""
    log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.write(log, job.get("log_header", "").encode())
    os.dup2(log, 1)
    os.dup2(log, 2)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    if isinstance(prepared, BaseException):
        print(f"could not start a kernel ahead of time: {prepared!r}", file=sys.stderr)
        return 1
    try:
        os.chdir(job["cwd"])
        os.environ.update(job["env"])
        _limit(prepared.pid, job.get("memory_mb"), job.get("cpu_seconds"))
        km = AttachedKernelManager(prepared)
        _move_kernel(km, job["cwd"], job["env"])
        return execute(job, km)
    except Exception:  # e.g. papermill refusing the notebook: say why in the task's log
        traceback.print_exc()
        return 1
    finally:
        kill_kernel(prepared.pid)


def _move_kernel(km: AttachedKernelManager, cwd: str, env: dict[str, str]) -> None:
    """Give the kernel the task's working directory and environment, silently (nothing
    of this appears in the executed notebook). Only the shell channel is used: a
    request waits in its socket until the kernel listens, so no readiness handshake."""
    from jupyter_client.blocking import BlockingKernelClient

    client = BlockingKernelClient(**km.get_connection_info(session=True))
    client.start_channels(iopub=False, stdin=False, hb=False, control=False)
    try:
        code = f"import os as _o; _o.chdir({cwd!r}); _o.environ.update({env!r}); del _o"
        msg_id = client.execute(code, silent=True, store_history=False)
        reply = client.get_shell_msg(timeout=60)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = client.get_shell_msg(timeout=60)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"could not prepare the kernel: {reply['content']}")
    finally:
        client.stop_channels()


def _kernel_group(km: AsyncKernelManager) -> int | None:
    """The process group of a kernel jupyter_client started (it leads its own session)."""
    return getattr(km.provisioner, "pid", None) if km.provisioner is not None else None


def main() -> None:
    """Cold start: papermill starts a fresh kernel. jupyter_client puts it in a session
    of its own, outside the task's process group, so this runner ends that group itself
    — when the notebook is done, and when the task is stopped or times out (SIGTERM)."""
    job = json.loads(sys.argv[1])
    km = AsyncKernelManager(kernel_name=job.get("kernel") or "python3")

    def end_kernel() -> None:
        group = _kernel_group(km)
        if group:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)

    def on_term(signum: int, _frame: Any) -> None:
        end_kernel()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    try:
        code = execute(job, km)
    finally:
        end_kernel()
    sys.exit(code)


if __name__ == "__main__":
    main()

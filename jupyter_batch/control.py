"""Stop requests between processes on one machine.

A run is driven by one process — the Jupyter server, a ``jupyter batch run`` in a
terminal, a notebook's local service — and only that process can end its tasks. Each
process that drives runs listens on a Unix socket named after its data folder and its
pid (the run's ``owner`` says which pid), so ``jupyter batch stop``, the REST API or a
notebook in another process can ask it to stop a run, and hear when the run has ended.
Nothing polls: the request wakes the listener, and the answer comes when the run ends.

On Linux the socket lives in the abstract namespace (no file to leave behind, no path
length limit); a connection from another user is refused. Elsewhere it is a file in the
data folder's ``control`` folder, readable by its owner only.

The protocol is one line each way: ``stop <run id>``, answered ``unknown`` (not driven
here) or ``stopping``, then ``ended <state>`` once the run has ended.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import struct
import sys
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

_ABSTRACT = sys.platform.startswith("linux")


class Unreachable(Exception):
    """No process listens for stop requests at that pid (it ended, or never listened)."""


def address(data_dir: Path, pid: int) -> str:
    """Where the process ``pid`` using ``data_dir`` listens."""
    if _ABSTRACT:
        folder = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:32]
        return f"\0jupyter-batch-{folder}-{pid}"
    return str(data_dir / "control" / f"{pid}.sock")


Driver = tuple[Callable[[int], bool], Callable[[int], str]]

_lock = threading.Lock()
_listeners: dict[str, _Listener] = {}


def listen(data_dir: Path, stop: Callable[[int], bool],
           wait: Callable[[int], str]) -> Callable[[], None]:
    """Take stop requests for the runs that ``stop(run_id)`` stops (it returns False for
    a run it does not drive); ``wait(run_id)`` blocks until such a run has ended and
    returns its final state. Returns the function that ends this.

    Several services of one process on one data folder (a notebook, tests) share the
    process's one listener: a request goes to whichever of them drives the run."""
    addr = address(data_dir, os.getpid())
    driver = (stop, wait)
    with _lock:
        listener = _listeners.get(addr)
        if listener is None:
            listener = _listeners[addr] = _Listener(addr)
        listener.drivers.append(driver)

    def unlisten() -> None:
        with _lock:
            listener.drivers.remove(driver)
            if listener.drivers:
                return
            del _listeners[addr]
        listener.close()

    return unlisten


class _Listener:
    """The socket of one process and data folder, and a thread answering on it."""

    def __init__(self, addr: str) -> None:
        self.drivers: list[Driver] = []
        self._address = addr
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if not _ABSTRACT:
            Path(addr).parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):  # left by an earlier process
                os.unlink(addr)
        self._socket.bind(addr)
        if not _ABSTRACT:
            os.chmod(addr, 0o600)
        self._socket.listen()
        self._thread = threading.Thread(target=self._accept, name="batch-stop-listener",
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self._socket.close()
        self._thread.join(timeout=5)
        if not _ABSTRACT:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._address)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._socket.accept()
            except OSError:  # closed
                return
            if not _same_user(conn):
                conn.close()
                continue
            threading.Thread(target=self._serve, args=(conn,), name="batch-stop-request",
                             daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rw", encoding="ascii", newline="\n") as stream:
            try:
                verb, _, arg = stream.readline(64).strip().partition(" ")
                if verb != "stop" or not arg.isdigit():
                    stream.write("error\n")
                    return
                run_id = int(arg)
                with _lock:
                    drivers = list(self.drivers)
                for stop, wait in drivers:
                    if stop(run_id):
                        stream.write("stopping\n")
                        stream.flush()
                        stream.write(f"ended {wait(run_id)}\n")
                        return
                stream.write("unknown\n")
            except OSError:  # the asker went away: the run stops all the same
                pass
            except Exception:
                log.exception("a stop request failed")


def _same_user(conn: socket.socket) -> bool:
    """Whether the peer runs as this user (always so for a socket file only we can open)."""
    if not _ABSTRACT:
        return True
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.getuid()


def ask_to_stop(data_dir: Path, pid: int, run_id: int, wait: bool,
                timeout: float | None = None) -> str | None:
    """Ask process ``pid`` to stop run ``run_id``. Returns None when it does not drive
    that run; else ``"stopping"``, or with ``wait`` the run's final state once it has
    ended. Raises ``Unreachable`` when nothing listens there."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(address(data_dir, pid))
            sock.sendall(f"stop {run_id}\n".encode())
            with sock.makefile("r", encoding="ascii", newline="\n") as stream:
                answer = stream.readline().strip()
                if answer == "unknown":
                    return None
                if answer != "stopping":
                    raise Unreachable(f"process {pid} answered {answer!r}")
                if not wait:
                    return answer
                verb, _, state = stream.readline().strip().partition(" ")
    except (FileNotFoundError, ConnectionError) as exc:  # refused, reset: no listener
        raise Unreachable(str(exc)) from exc
    if verb != "ended":
        raise Unreachable(f"process {pid} ended before the run did")
    return state

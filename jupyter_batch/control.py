"""Between the processes of one data folder on one machine: stop requests, and the
state changes one process stored, told to the others that watch.

A run is driven by one process — the Jupyter server, a ``jupyter batch run`` in a
terminal, a notebook's local service — and only that process can end its tasks. Each
process that drives runs listens on a Unix socket named after its data folder and its
pid (the run's ``owner`` says which pid), so ``jupyter batch stop``, the REST API or a
notebook in another process can ask it to stop a run, and hear when the run has ended.
The protocol is one line each way: ``stop <run id>``, answered ``unknown`` (not driven
here) or ``stopping``, then ``ended <state>`` once the run has ended.

A process that shows runs to people (the Jupyter server's side panel) also *observes*:
it leaves a marker named after its pid in ``control/observers`` and receives
datagrams there. Every process that stores state changes sends them, as the same JSON
the server's events carry, to each observer but itself — so a run started in a terminal
appears in the panel as it goes. Changes an observer does not take within half a second
are dropped for it (the panel's refresh still shows them); the state writer sends them
after storing, so the engine never waits for an observer.

Nothing polls: a request or a change wakes the process it is meant for. On Linux the
sockets live in the abstract namespace (no file to leave behind, no path length limit)
and a message from another user is refused; elsewhere they are files in the data
folder's ``control`` folder, readable by their owner only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
import struct
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_ABSTRACT = sys.platform.startswith("linux")


class Unreachable(Exception):
    """No process listens for stop requests at that pid (it ended, or never listened)."""


def address(data_dir: Path, pid: int, kind: str = "stop") -> str:
    """Where the process ``pid`` using ``data_dir`` listens for ``kind`` (``stop``
    requests, or ``changes`` when it observes)."""
    if _ABSTRACT:
        folder = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:32]
        return f"\0jupyter-batch-{folder}-{kind}-{pid}"
    return str(data_dir / "control" / f"{kind}-{pid}.sock")


def _bind(sock: socket.socket, addr: str) -> None:
    if not _ABSTRACT:
        Path(addr).parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):  # left by an earlier process
            os.unlink(addr)
    sock.bind(addr)
    if not _ABSTRACT:
        os.chmod(addr, 0o600)


def _unbind(addr: str) -> None:
    if not _ABSTRACT:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(addr)


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
            try:
                listener = _listeners[addr] = _Listener(addr)
            except OSError as exc:  # runs still go; only other processes cannot stop them
                log.warning("jupyter-batch: other processes cannot stop the runs this one "
                            "drives (%s)", exc)
                return lambda: None
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
        #: requests being answered: closing waits for them (a stop that has asked its
        #: run to end tells the asker how it ended before the service goes)
        self._serving: set[threading.Thread] = set()
        self._address = addr
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        _bind(self._socket, addr)
        self._socket.listen()
        self._thread = threading.Thread(target=self._accept, name="batch-stop-listener",
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self._socket.close()
        self._thread.join(timeout=5)
        with _lock:
            serving = list(self._serving)
        for thread in serving:
            thread.join(timeout=5)
        _unbind(self._address)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._socket.accept()
            except OSError:  # closed
                return
            if not _same_user(conn):
                conn.close()
                continue
            thread = threading.Thread(target=self._serve, args=(conn,),
                                      name="batch-stop-request", daemon=True)
            with _lock:
                self._serving.add(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self._answer(conn)
        finally:
            with _lock:
                self._serving.discard(threading.current_thread())

    def _answer(self, conn: socket.socket) -> None:
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


# --- state changes told to observers ---------------------------------------------------

#: the most one datagram carries (a batch of changes is split to fit)
_DATAGRAM = 60_000
#: how long a relay waits for an observer to make room for a datagram (s)
_OBSERVER_PATIENCE = 0.5
_CREDENTIALS = struct.calcsize("3i")


def _observers(data_dir: Path) -> Path:
    return data_dir / "control" / "observers"


class ChangeRelay:
    """Sends the changes this process stored to every observer of its data folder,
    each as the JSON object ``to_json`` makes of it (only when someone observes)."""

    def __init__(self, data_dir: Path, to_json: Callable[[Any], dict[str, object]]) -> None:
        self._data_dir = data_dir
        self._to_json = to_json
        self._markers = _observers(data_dir)
        self._own = str(os.getpid())
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        # an observer's queue holds a few datagrams: wait a little for it to read them
        self._socket.settimeout(_OBSERVER_PATIENCE)

    def send(self, changes: Sequence[Any]) -> None:
        """Tell every observer but this process ``changes``. One that does not take
        them within ``_OBSERVER_PATIENCE`` misses them; one that has gone away loses its
        marker. (Called by the state writer after a batch is stored: the engine never
        waits for this.)"""
        try:
            observers = [n for n in os.listdir(self._markers) if n.isdigit() and n != self._own]
        except FileNotFoundError:
            return
        datagrams = _datagrams([self._to_json(c) for c in changes]) if observers else []
        for pid in observers:
            addr = address(self._data_dir, int(pid), "changes")
            for datagram in datagrams:
                try:
                    self._socket.sendto(datagram, addr)
                except (ConnectionRefusedError, FileNotFoundError):  # it has ended
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(self._markers / pid)
                    break
                except OSError:  # its queue stayed full (TimeoutError): it misses these
                    break

    def close(self) -> None:
        self._socket.close()


def _datagrams(events: list[dict[str, object]]) -> list[bytes]:
    """``events`` as JSON arrays of at most ``_DATAGRAM`` bytes each."""
    encoded = [json.dumps(e, allow_nan=False).encode() for e in events]
    datagrams, part, size = [], [], 2
    for item in encoded:
        if part and size + len(item) + 1 > _DATAGRAM:
            datagrams.append(b"[" + b",".join(part) + b"]")
            part, size = [], 2
        part.append(item)
        size += len(item) + 1
    if part:
        datagrams.append(b"[" + b",".join(part) + b"]")
    return datagrams


def observe(data_dir: Path, on_changes: Callable[[list[dict[str, object]]], None]
            ) -> Callable[[], None]:
    """Receive the changes other processes store in ``data_dir``: ``on_changes`` is
    called with each batch (on a thread of its own). Returns the function that ends it."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    addr = address(data_dir, os.getpid(), "changes")
    try:
        _bind(sock, addr)
    except OSError:  # this process observes the folder already
        sock.close()
        raise
    if _ABSTRACT:  # the kernel then tells the sender's user with every datagram
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    marker = _observers(data_dir) / str(os.getpid())
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()

    def receive() -> None:
        while True:
            try:
                data, ancillary, _flags, _addr = sock.recvmsg(
                    1 << 16, socket.CMSG_SPACE(_CREDENTIALS))
            except OSError:  # closed
                return
            if _ABSTRACT and not _sent_by_this_user(ancillary):
                continue
            if not data:  # the wake-up from close()
                return
            try:
                on_changes(json.loads(data))
            except Exception:
                log.exception("could not take changes told by another process")

    thread = threading.Thread(target=receive, name="batch-change-observer", daemon=True)
    thread.start()

    def close() -> None:
        with contextlib.suppress(FileNotFoundError):
            marker.unlink()
        with contextlib.suppress(OSError), \
                socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as waker:
            waker.sendto(b"", addr)
        thread.join(timeout=5)
        sock.close()
        _unbind(addr)

    return close


def _sent_by_this_user(ancillary: list[tuple[int, int, bytes]]) -> bool:
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            _pid, uid, _gid = struct.unpack("3i", data[:_CREDENTIALS])
            return uid == os.getuid()
    return False

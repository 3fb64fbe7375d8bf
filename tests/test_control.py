"""Stop requests between processes: a real Unix socket, answered by the listener of the
process that drives the run; another user's request is refused."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_batch import control
from tests.engine_fixtures import wait_for


class Drives:
    """Stands for a service driving run 7: stopping it lets ``wait`` return."""

    def __init__(self) -> None:
        self.stopped = threading.Event()

    def stop(self, run_id: int) -> bool:
        if run_id != 7:
            return False
        self.stopped.set()
        return True

    def wait(self, run_id: int) -> str:
        self.stopped.wait()
        return "cancelled"


@pytest.fixture
def drives(tmp_path: Path) -> Iterator[Drives]:
    driver = Drives()
    unlisten = control.listen(tmp_path, driver.stop, driver.wait)
    yield driver
    unlisten()


def test_a_stop_request_is_answered_once_the_run_has_ended(drives: Drives,
                                                           tmp_path: Path) -> None:
    assert control.ask_to_stop(tmp_path, os.getpid(), 7, wait=True, timeout=10) == "cancelled"
    assert drives.stopped.is_set()


def test_a_run_not_driven_there_is_unknown(drives: Drives, tmp_path: Path) -> None:
    assert control.ask_to_stop(tmp_path, os.getpid(), 8, wait=False, timeout=10) is None
    assert not drives.stopped.is_set()


def test_nobody_listens_for_another_data_folder_or_pid(drives: Drives, tmp_path: Path) -> None:
    with pytest.raises(control.Unreachable):
        control.ask_to_stop(tmp_path / "other", os.getpid(), 7, wait=False, timeout=10)
    with pytest.raises(control.Unreachable):
        control.ask_to_stop(tmp_path, os.getpid() + 1_000_000, 7, wait=False, timeout=10)


def test_two_services_of_one_process_share_its_listener(drives: Drives,
                                                        tmp_path: Path) -> None:
    other = threading.Event()
    unlisten = control.listen(tmp_path, lambda run_id: run_id == 9 and not other.set(),
                              lambda run_id: "success")
    try:
        assert control.ask_to_stop(tmp_path, os.getpid(), 9, wait=True, timeout=10) == "success"
        assert other.is_set() and not drives.stopped.is_set()
    finally:
        unlisten()
    # the first service still listens
    assert control.ask_to_stop(tmp_path, os.getpid(), 7, wait=True, timeout=10) == "cancelled"


@pytest.mark.skipif(os.geteuid() != 0 or not sys.platform.startswith("linux"),
                    reason="needs root to ask as another user (Linux peer credentials)")
def test_another_users_request_is_refused(drives: Drives, tmp_path: Path) -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child asks as user nobody, and tells what it heard
        try:
            os.setuid(65534)
            control.ask_to_stop(tmp_path, os.getppid(), 7, wait=False, timeout=10)
            os.write(write, b"answered")
        except control.Unreachable:
            os.write(write, b"refused")
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read, "rb") as heard:
        assert heard.read() == b"refused"
    assert not drives.stopped.is_set()


# --- changes told to observers -----------------------------------------------------------------

def send_from_another_process(data_dir: Path, *batches: list[int]) -> None:
    """A real other process relays ``batches`` of changes (numbers, as ``{"n": n}``)."""
    code = ("import sys, json\nfrom pathlib import Path\nfrom jupyter_batch import control\n"
            "relay = control.ChangeRelay(Path(sys.argv[1]), to_json=lambda n: "
            "{'n': n, 'pad': 'x' * 60})\n"
            "for batch in json.loads(sys.argv[2]):\n    relay.send(batch)\n")
    subprocess.run([sys.executable, "-c", code, str(data_dir), json.dumps(batches)],
                   check=True, timeout=60)


def test_stored_changes_reach_an_observer_in_order_and_a_gone_ones_marker_is_removed(
        tmp_path: Path) -> None:
    heard: list[dict[str, object]] = []
    markers = tmp_path / "control" / "observers"
    stop_observing = control.observe(tmp_path, heard.extend)
    try:
        gone = markers / "999999999"
        gone.touch()

        send_from_another_process(tmp_path, list(range(3000)), [3000])  # > one datagram

        wait_for(lambda: len(heard) >= 3001, "every change")
        assert [e["n"] for e in heard] == list(range(3001))
        assert not gone.exists(), "the marker of an observer that has gone is removed"
    finally:
        stop_observing()
    assert not (markers / str(os.getpid())).exists()


def test_a_relay_does_not_tell_its_own_process(tmp_path: Path) -> None:
    heard: list[dict[str, object]] = []
    relay = control.ChangeRelay(tmp_path, to_json=lambda n: {"n": n})
    stop_observing = control.observe(tmp_path, heard.extend)
    try:
        relay.send([1, 2])
        send_from_another_process(tmp_path, [3])

        wait_for(lambda: bool(heard), "the change from another process")
    finally:
        stop_observing()
        relay.close()
    assert [e["n"] for e in heard] == [3]


@pytest.mark.skipif(os.geteuid() != 0 or not sys.platform.startswith("linux"),
                    reason="needs root to send as another user (Linux credentials)")
def test_changes_told_by_another_user_are_ignored(tmp_path: Path) -> None:
    heard: list[dict[str, object]] = []
    stop_observing = control.observe(tmp_path, heard.extend)
    try:
        pid = os.fork()
        if pid == 0:  # as user nobody, tell a made-up change
            try:
                os.setuid(65534)
                with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                    sock.sendto(b'[{"n": "forged"}]',
                                control.address(tmp_path, os.getppid(), "changes"))
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        send_from_another_process(tmp_path, [1])

        wait_for(lambda: bool(heard), "the change from this user's process")
    finally:
        stop_observing()
    assert heard == [{"n": 1, "pad": "x" * 60}]


def test_ending_the_listener_lets_a_stop_under_way_answer_first(tmp_path: Path) -> None:
    """A `jupyter batch run` whose run was stopped from another terminal closes its
    service as soon as the run has ended: the stop request still being answered must
    finish (reading the final state) before the store goes. Before, it raced the close
    and the asker was told the process "takes no stop requests"."""
    ended = threading.Event()
    closed = threading.Event()

    def wait(run_id: int) -> str:
        ended.wait()
        if closed.is_set():  # what reading a closed store does
            raise RuntimeError("the store is closed")
        return "cancelled"

    unlisten = control.listen(tmp_path, lambda run_id: run_id == 7, wait)
    answers: list[str | None] = []
    asker = threading.Thread(target=lambda: answers.append(
        control.ask_to_stop(tmp_path, os.getpid(), 7, wait=True, timeout=10)))
    asker.start()
    wait_for(lambda: any(t.name == "batch-stop-request" for t in threading.enumerate()),
             "the request to be taken")
    threading.Timer(0.2, ended.set).start()  # the run ends a moment later

    unlisten()  # the service closes...
    closed.set()  # ...and its store with it
    asker.join(timeout=10)

    assert answers == ["cancelled"]

"""Stop requests between processes: a real Unix socket, answered by the listener of the
process that drives the run; another user's request is refused."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_batch import control


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

"""Fixtures on the real wiring: a state folder in tmp_path, the service over it, and the
real ``jupyter batch`` command run as a subprocess against the same folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_batch import Batch
from jupyter_batch.service import BatchService
from tests.helpers import AUTHOR, Result

pytest_plugins = ["pytest_jupyter.jupyter_server", "tests.postgres"]

JUPYTER = Path(sys.executable).parent / "jupyter"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """The state folder (database, blobs) of one test."""
    return tmp_path / "batch"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """Where a test writes the files it adds or validates (apart from the state folder)."""
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture
def write(workdir: Path) -> Callable[[str, Any], Path]:
    """``write(name, content)`` puts a file in ``workdir`` and returns its path; a dict
    or list is written as a workflow file (JSON)."""

    def write_file(name: str, content: Any) -> Path:
        path = workdir / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
        return path

    return write_file


@pytest.fixture
def store_url() -> str | None:
    """The database of the ``service`` fixture: None is the default SQLite file. A test
    module that must hold on PostgreSQL too overrides it with ``db_url``."""
    return None


@pytest.fixture
def service(data_dir: Path, store_url: str | None,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[BatchService]:
    """The service over ``data_dir`` (``$JUPYTER_BATCH_DIR`` would win, so it is unset)."""
    monkeypatch.delenv("JUPYTER_BATCH_DIR", raising=False)
    monkeypatch.setenv("JUPYTER_BATCH_AUTHOR", AUTHOR)
    svc = BatchService(data_dir=data_dir, db_url=store_url)
    yield svc
    svc.close()


@pytest.fixture
def local(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Batch]:
    """A client on a local service over ``data_dir``."""
    monkeypatch.delenv("JUPYTER_BATCH_DIR", raising=False)
    monkeypatch.setenv("JUPYTER_BATCH_AUTHOR", AUTHOR)
    batch = Batch(data_dir=data_dir)
    yield batch
    batch.close()


@pytest.fixture
def cli(data_dir: Path, workdir: Path) -> Callable[..., Result]:
    """``cli("resource", "list", "--json")`` runs the real ``jupyter batch`` in ``workdir``
    with ``$JUPYTER_BATCH_DIR`` set to ``data_dir``; returns (exit code, stdout, stderr)."""
    env = {**os.environ, "JUPYTER_BATCH_DIR": str(data_dir), "JUPYTER_BATCH_AUTHOR": AUTHOR}

    def run(*args: str | Path) -> Result:
        proc = subprocess.run([str(JUPYTER), "batch", *map(str, args)], cwd=workdir, env=env,
                              capture_output=True, text=True, timeout=60)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture(scope="session")
def dask_cluster() -> Iterator[str]:
    """The scheduler address of a ``distributed.LocalCluster`` of two worker processes,
    shared by every test that runs tasks on Dask (starting one takes seconds)."""
    from jupyter_batch.executors.dask import local_cluster

    with local_cluster(threads_per_worker=8, dashboard_address=":0") as cluster:
        yield cluster.scheduler_address

"""A throwaway PostgreSQL server for the tests: Debian's binaries, a cluster in a temp
folder, listening on loopback at a free port, one fresh database per test.

PostgreSQL refuses to run as root; as root (CI, this sandbox) the cluster belongs to the
``postgres`` user that Debian's package creates and its commands run through ``runuser``.
Without the binaries the PostgreSQL variants skip, saying how to get them.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

INSTALL_HINT = "PostgreSQL server binaries not found (apt-get install postgresql)"


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """A running cluster; ``new_database()`` hands out empty databases."""

    def __init__(self, bindir: Path, root: Path) -> None:
        self._bindir = bindir
        self._root = root
        self._as_root = os.geteuid() == 0
        self.port = _free_port()
        self._names = itertools.count(1)
        data = root / "data"
        self._run("initdb", "-D", str(data), "-U", "batch", "--auth=trust", "-E", "UTF8",
                  "--no-sync")
        self._run("pg_ctl", "-D", str(data), "-l", str(root / "server.log"), "-w", "-o",
                  f"-p {self.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c max_connections=200", "start")
        self._data = data

    def _run(self, program: str, *args: str) -> None:
        argv = [str(self._bindir / program), *args]
        if self._as_root:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        subprocess.run(argv, check=True, capture_output=True, cwd=self._root)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://batch@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """Create an empty database; return its SQLAlchemy URL."""
        import psycopg

        name = f"t{next(self._names)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=batch dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self._data), "-m", "immediate", "stop")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    bindir = _bindir()
    if bindir is None:
        pytest.skip(INSTALL_HINT)
    pytest.importorskip("psycopg", reason="psycopg missing: pip install 'jupyter-batch[postgres]'")
    root = Path(tempfile.mkdtemp(prefix="batch-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    server = PostgresServer(bindir, root)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str | None:
    """The store's database for a test that runs on both: None means the default SQLite
    file in the state folder; else a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return None
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_database()

"""The CLI opens the store a Jupyter server started here would: ``c.BatchApp.*`` from the
Jupyter config files, with ``$JUPYTER_BATCH_DIR`` and ``$JUPYTER_BATCH_DB_URL`` winning."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_batch.service import BatchService
from tests.postgres import PostgresServer

JUPYTER = Path(sys.executable).parent / "jupyter"


def batch(env: dict[str, str], *args: str) -> list[dict[str, object]]:
    proc = subprocess.run([str(JUPYTER), "batch", *args], env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    return json.loads(proc.stdout)


def names(listed: list[dict[str, object]]) -> list[object]:
    """The user's resources (every store also holds the library's)."""
    return [item["name"] for item in listed if item["namespace"] == "user"]


def test_the_cli_uses_the_data_dir_and_db_url_of_the_jupyter_config(
        tmp_path: Path, postgres: PostgresServer) -> None:
    configured, pg = tmp_path / "configured", postgres.new_database()
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "jupyter_server_config.py").write_text(
        f"c.BatchApp.data_dir = {str(configured)!r}\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("JUPYTER_BATCH_DIR", "JUPYTER_BATCH_DB_URL")}
    env["JUPYTER_CONFIG_DIR"] = str(config_dir)
    for where, url, name in ((configured, None, "in_sqlite.py"), (configured, pg, "in_pg.py")):
        service = BatchService(data_dir=where, db_url=url)
        service.add_resource(name, b"print(1)\n", "", "me")
        service.close()

    assert names(batch(env, "resource", "list", "--json")) == ["in_sqlite.py"]
    assert names(batch({**env, "JUPYTER_BATCH_DB_URL": pg}, "resource", "list", "--json")
                 ) == ["in_pg.py"]
    elsewhere = {**env, "JUPYTER_BATCH_DIR": str(tmp_path / "elsewhere")}
    assert names(batch(elsewhere, "resource", "list", "--json")) == []


def without_root_powers(argv: list[str]) -> list[str]:
    """``argv`` run so that file modes bind it: as root, without the capabilities that
    override them (util-linux's setpriv); a user's process is bound already."""
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root, which ignores file modes, and setpriv is missing")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search", *argv]


@pytest.mark.parametrize(("folder", "says"), [
    ("afile", "is not a directory"),
    ("afile/batch", "cannot be created: Not a directory"),
    ("read-only/batch", "cannot be created: Permission denied"),
    ("read-only", "is not writable: Permission denied"),
])
def test_a_data_folder_that_cannot_be_used_is_bad_input(tmp_path: Path, folder: str,
                                                         says: str) -> None:
    (tmp_path / "afile").write_text("")
    (tmp_path / "read-only").mkdir(mode=0o555)
    data_dir = tmp_path / folder
    env = {**os.environ, "JUPYTER_BATCH_DIR": str(data_dir)}

    proc = subprocess.run(without_root_powers([str(JUPYTER), "batch", "runs"]), env=env,
                          capture_output=True, text=True, timeout=60)

    assert (proc.returncode, proc.stdout) == (2, ""), proc.stderr
    assert proc.stderr.splitlines() == [f"error: data folder {data_dir} {says}"]
    assert (tmp_path / "afile").read_text() == ""
    assert list((tmp_path / "read-only").iterdir()) == []

"""Which store ``Batch()`` uses, among real running ``jupyter server`` processes: the
kernel's own server; for a process no server owns (a script, nbconvert, papermill) only
a server whose data folder is this process's own; and ``$JUPYTER_BATCH_DIR`` naming
another folder than the server's always wins (a local service), with a notice."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from jupyter_batch import Batch
from tests.client.servers import Server, environment, jupyter_servers, run_in_kernel

SCRIPT = textwrap.dedent("""\
    from jupyter_batch import Batch
    with Batch() as batch:
        print(repr(batch))
        print(batch.local, *sorted(w.name for w in batch.workflows()))
    """)


def run_script(root: Path, **env: str | None) -> tuple[list[str], list[str]]:
    """Run ``SCRIPT`` as a plain Python process beside the servers (their runtime
    folder), with ``env`` changed (None: unset); its stdout lines and its notices."""
    changed = environment(root)
    for name, value in env.items():
        if value is None:
            changed.pop(name, None)
        else:
            changed[name] = value
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=changed, cwd=root / "work",
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    notices = [line for line in done.stderr.splitlines() if line.startswith("jupyter-batch:")]
    return done.stdout.splitlines(), notices


def save_workflow(server: Server, name: str) -> None:
    with Batch(server.url, server.token) as batch:
        wf = batch.workflow(name)
        wf.shell("a", "true")
        wf.save()


def on_server(server: Server, folder: Path, *workflows: str) -> list[str]:
    return [f"<Batch: Jupyter server {server.url}, data folder {folder}>",
            " ".join(["False", *workflows])]


def on_local(folder: Path) -> list[str]:
    return [f"<Batch: local service on {folder}>", "True"]


def test_a_script_uses_a_server_only_when_it_keeps_its_state_in_the_scripts_folder(
        tmp_path: Path) -> None:
    served = tmp_path / "batch"  # the servers' $JUPYTER_BATCH_DIR (servers.environment)
    other = tmp_path / "other"
    default = tmp_path / "data" / "batch"  # <jupyter data dir>/batch
    with jupyter_servers(tmp_path, 1) as (server,):
        save_workflow(server, "on_served")

        # $JUPYTER_BATCH_DIR names another folder: it wins, and the notice says why
        assert run_script(tmp_path, JUPYTER_BATCH_DIR=str(other)) == (on_local(other), [
            f"jupyter-batch: using a local service on {other} ($JUPYTER_BATCH_DIR), not "
            f"the Jupyter server at {server.url}, which keeps its state in {served}"])
        # ... or the server's folder: the server
        assert run_script(tmp_path, JUPYTER_BATCH_DIR=str(served)) == (
            on_server(server, served, "on_served"), [])
        # nothing set: this process's folder is the default one, not the server's
        assert run_script(tmp_path, JUPYTER_BATCH_DIR=None) == (on_local(default), [
            f"jupyter-batch: using a local service on {default} (this process's own data "
            f"folder), not the Jupyter server at {server.url}, which keeps its state in "
            f"{served}"])
        # c.BatchApp.data_dir in the Jupyter config names the server's folder: the server
        config = tmp_path / "script_config"
        config.mkdir()
        (config / "jupyter_server_config.json").write_text(json.dumps(
            {"BatchApp": {"data_dir": str(served)}}), encoding="utf-8")
        assert run_script(tmp_path, JUPYTER_BATCH_DIR=None,
                          JUPYTER_CONFIG_DIR=str(config)) == (
            on_server(server, served, "on_served"), [])


def test_of_several_servers_a_script_takes_the_one_on_its_data_folder(
        tmp_path: Path) -> None:
    folders = [tmp_path / "first", tmp_path / "second"]
    with jupyter_servers(tmp_path, 2, data_dirs=folders) as (first, second):
        save_workflow(first, "on_first")
        save_workflow(second, "on_second")
        assert run_script(tmp_path, JUPYTER_BATCH_DIR=str(folders[1])) == (
            on_server(second, folders[1], "on_second"), [])
        assert run_script(tmp_path, JUPYTER_BATCH_DIR=str(folders[0])) == (
            on_server(first, folders[0], "on_first"), [])


KERNEL_CODE = textwrap.dedent("""\
    import os
    from jupyter_batch import Batch
    with Batch() as batch:  # $JUPYTER_BATCH_DIR as the server has it
        print(repr(batch))
    os.environ["JUPYTER_BATCH_DIR"] = {other!r}
    with Batch() as batch:
        print(repr(batch))
    del os.environ["JUPYTER_BATCH_DIR"]  # the default folder, but this is its server's
    with Batch() as batch:
        print(repr(batch))
    """)


def test_a_kernel_uses_its_server_unless_its_JUPYTER_BATCH_DIR_says_otherwise(
        tmp_path: Path) -> None:
    served, other = tmp_path / "batch", tmp_path / "other"
    with jupyter_servers(tmp_path, 1) as (server,):
        kernel = server.call("POST", "api/kernels", json={"name": "python3"}).json()["id"]
        try:
            printed = run_in_kernel(tmp_path / "runtime" / f"kernel-{kernel}.json",
                                    KERNEL_CODE.format(other=str(other)))
        finally:
            server.call("DELETE", f"api/kernels/{kernel}")
    on_served = f"<Batch: Jupyter server {server.url}, data folder {served}>"
    # stdout and stderr are separate streams: compare what each printed, not the order
    lines = printed.splitlines()
    assert [line for line in lines if line.startswith("<")] == [
        on_served, f"<Batch: local service on {other}>", on_served]
    assert [line for line in lines if not line.startswith("<")] == [
        f"jupyter-batch: using a local service on {other} ($JUPYTER_BATCH_DIR), not the "
        f"Jupyter server at {server.url}, which keeps its state in {served}"]

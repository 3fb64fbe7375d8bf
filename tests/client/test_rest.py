"""The REST transport against real ``jupyter server`` processes."""

from __future__ import annotations

from pathlib import Path

from jupyter_batch import Batch
from tests.client.servers import jupyter_servers


def test_a_server_without_a_token_takes_writes_with_its_xsrf_cookie(tmp_path: Path) -> None:
    """``jupyter lab --ServerApp.token=''`` authenticates nobody, so Jupyter asks every
    write for the XSRF cookie it hands out, sent back as the ``X-XSRFToken`` header."""
    with jupyter_servers(tmp_path, 1, tokens=False) as (server,), \
            Batch(server.url) as batch:
        added = batch.add_resource("x.py", "print(1)\n", "no token")
        assert (added.created, added.version.ref) == (True, "x.py@1")
        wf = batch.workflow("tokenless")
        wf.shell("a", "true")
        wf.save()
        wf.delete()  # DELETE is checked as POST is
        assert [r.name for r in batch.resources() if r.name == "x.py"] == ["x.py"]
        assert batch.read("x.py@1") == b"print(1)\n"
        assert [w.name for w in batch.workflows()] == []

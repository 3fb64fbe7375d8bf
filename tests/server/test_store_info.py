"""``GET /store`` tells where the server keeps its state (what the client compares its
own data folder with before talking to a server it found)."""

from __future__ import annotations

from pathlib import Path

from tests.server.api import BatchAPI


async def test_the_server_tells_its_data_folder(api: BatchAPI, batch_dir: Path) -> None:
    assert await api.ok("GET", "/store") == {"data_dir": str(batch_dir)}

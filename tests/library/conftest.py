"""A real S3-compatible server on loopback for the programs that move files: moto's
standalone server, started per test, with a bucket and fake credentials in the
environment the tasks inherit."""

from __future__ import annotations

import itertools
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass(frozen=True)
class S3:
    endpoint: str
    bucket: str

    @property
    def options(self) -> str:
        """The programs' ``*_options`` parameter that points s3fs at this server."""
        return json.dumps({"client_kwargs": {"endpoint_url": self.endpoint}})

    def fs(self) -> Any:
        import s3fs

        return s3fs.S3FileSystem(client_kwargs={"endpoint_url": self.endpoint})

    def url(self, path: str) -> str:
        return f"s3://{self.bucket}/{path}"


#: moto keeps its buckets in this process across servers: each test gets a bucket anew
_buckets = itertools.count(1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3]:
    from moto.server import ThreadedMotoServer

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        store = S3(f"http://{host}:{port}", f"batch-test-{next(_buckets)}")
        store.fs().mkdir(store.bucket)
        yield store
    finally:
        server.stop()

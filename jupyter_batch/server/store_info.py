"""``GET /store``: where this server keeps its state.

A client that finds a running server (``client/discovery``) talks to it only when it
belongs to it, or when the server's data folder is the one the client would use on its
own; this is how it learns the server's. (A handler of its own, beside ``handlers.py``:
same base class, so the same authentication, authorization and error mapping.)
"""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .handlers import BatchHandler


class StoreHandler(BatchHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply({"data_dir": str(self.service.data_dir)})

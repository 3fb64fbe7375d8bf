"""``BatchApp``: the jupyter-server extension that runs the service and its scheduler.

Every setting is a traitlet (``c.BatchApp.<name>`` in a Jupyter config file). The
service starts with the server and stops with it: runs this server drives are stopped
and marked, never orphaned.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from jupyter_server.extension.application import ExtensionApp

from ..errors import BatchError
from ..settings import BatchSettings
from .events import EventBridge
from .routes import url_table


class BatchApp(BatchSettings, ExtensionApp):
    """The extension; its settings (``c.BatchApp.*``) are ``BatchSettings``'s."""

    name = "jupyter_batch"
    extension_url = "/batch/api/workflows"
    load_other_extensions = True

    def initialize_settings(self) -> None:
        try:
            self.service = self.make_service()
        except BatchError as exc:
            # a setting the user chose (a data folder that is a file, or read-only): one
            # line in the server's log, and the routes answer with it rather than 404
            self.serverapp.log.error("jupyter-batch: %s", exc)
            self.settings["batch_service_error"] = exc
            return
        self.events = EventBridge(self.serverapp.event_logger, self.service)
        self.settings["batch_service"] = self.service
        self.service.start_scheduler(self.scheduler_lease)
        self.log.info("jupyter-batch: state in %s", self.service.data_dir)

    def initialize_handlers(self) -> None:
        self.handlers.extend(url_table())

    async def stop_extension(self) -> None:
        events = getattr(self, "events", None)
        if events is not None:
            events.close()
        service = getattr(self, "service", None)
        if service is not None:
            await asyncio.get_running_loop().run_in_executor(None, service.close)


def schema_path() -> Path:
    return Path(__file__).with_name("state_change.schema.json")

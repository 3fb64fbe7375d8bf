"""A real in-process Jupyter server with the extension, over a state folder in tmp_path.

``batch_settings`` is the ``c.BatchApp`` configuration; a test module overrides that
fixture to configure the extension differently (pools, a kernel pool...).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

from jupyter_batch.server.app import BatchApp
from jupyter_batch.server.events import WORKFLOW_SCHEMA_ID
from tests.server.api import BatchAPI, StateEvents


@pytest.fixture
def batch_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The extension's state folder (``$JUPYTER_BATCH_DIR`` would win, so it is unset)."""
    monkeypatch.delenv("JUPYTER_BATCH_DIR", raising=False)
    return tmp_path / "batch"


@pytest.fixture
def batch_settings(batch_dir: Path) -> dict[str, Any]:
    """``c.BatchApp``: no warm notebook kernels (no test here needs them fast), a short
    grace between SIGTERM and SIGKILL."""
    return {"data_dir": str(batch_dir), "kernel_pool_size": 0, "kill_grace": 1.0}


@pytest.fixture
def jp_server_config(batch_settings: dict[str, Any]) -> Config:
    return Config({"ServerApp": {"jpserver_extensions": {"jupyter_batch": True}},
                   "BatchApp": batch_settings})


@pytest.fixture
def batch_app(jp_serverapp: Any) -> BatchApp:
    """The extension app the server loaded."""
    (app,) = jp_serverapp.extension_manager.extension_apps["jupyter_batch"]
    assert isinstance(app, BatchApp)
    return app


@pytest.fixture
def events(jp_serverapp: Any) -> StateEvents:
    """Every state-change event the server emits from now on."""
    return StateEvents().attach(jp_serverapp.event_logger)


@pytest.fixture
def workflow_events(jp_serverapp: Any) -> StateEvents:
    """Every workflow-change event the server emits from now on."""
    return StateEvents().attach(jp_serverapp.event_logger, WORKFLOW_SCHEMA_ID)


@pytest.fixture
def api(jp_fetch: Any, events: StateEvents) -> BatchAPI:
    return BatchAPI(jp_fetch, events)

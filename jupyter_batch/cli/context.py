"""The service a command works on: the one a Jupyter server started here would run."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..service import BatchService


def open_service() -> BatchService:
    """A service with the settings of the Jupyter config files (``c.BatchApp.*``), where
    ``$JUPYTER_BATCH_DIR`` and ``$JUPYTER_BATCH_DB_URL`` win — so the CLI and JupyterLab
    see the same store. Imported when a command runs: ``--help`` stays fast."""
    from ..settings import BatchSettings

    return BatchSettings.from_jupyter_config().make_service()

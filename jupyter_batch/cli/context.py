"""The service a command works on: the one a Jupyter server started here would run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..service import BatchService


def open_service(**given: Any) -> BatchService:
    """A service with the settings of the Jupyter config files (``c.BatchApp.*``), where
    ``$JUPYTER_BATCH_DIR`` and ``$JUPYTER_BATCH_DB_URL`` win — so the CLI and JupyterLab
    see the same store — and the settings ``given`` on the command line win over both
    (None: not given). Imported when a command runs: ``--help`` stays fast."""
    from ..settings import BatchSettings

    settings = BatchSettings.from_jupyter_config()
    for name, value in given.items():
        if value is not None:
            setattr(settings, name, value)  # checked by the setting's own validation
    return settings.make_service()

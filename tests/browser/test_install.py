"""The side panel arrives with the package: JupyterLab lists it as enabled."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import panel_installed


def test_jupyterlab_lists_the_panel_enabled() -> None:
    pytest.importorskip("jupyterlab", reason="jupyterlab is not installed (pip install -e "
                                             "'.[test]')")
    if not panel_installed():
        pytest.skip("the side panel is not built: building it needs node")
    listing = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter"), "labextension", "list"],
        capture_output=True, text=True, timeout=120, check=True)
    lines = [line for line in (listing.stdout + listing.stderr).splitlines()
             if "jupyter-batch" in line]
    assert lines, listing.stdout + listing.stderr
    assert "enabled" in lines[0] and "OK" in lines[0]

"""Browser fixtures: one real JupyterLab for the package, Debian's Chromium driven by
Playwright, a fresh page per test, and screenshots saved under test-artifacts/browser/.

A test module calls ``skip_without_browser()`` first: it skips (saying why) when
Playwright, /usr/bin/chromium or the built side panel is missing — `.ci/run` installs the
first two, and `pip install -e .` builds the third when node is there.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_core.paths import jupyter_path

from tests.browser.lab import Batch, JupyterLab

CHROMIUM = Path(os.environ.get("BATCH_TEST_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
#: Keep Chromium quiet on a closed network (no background downloads or sync).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def panel_installed() -> bool:
    """Whether JupyterLab finds the built side panel (a prebuilt extension)."""
    return any((Path(p) / "jupyter-batch" / "package.json").is_file()
               for p in jupyter_path("labextensions"))


def skip_without_browser() -> None:
    """Skip the calling test module, saying why, when something the tests need is missing."""
    pytest.importorskip("playwright.sync_api",
                        reason="playwright is not installed (pip install -e '.[test]')")
    pytest.importorskip("jupyterlab",
                        reason="jupyterlab is not installed (pip install -e '.[test]')")
    if not CHROMIUM.is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does it)",
                    allow_module_level=True)
    if not panel_installed():
        pytest.skip("the side panel is not built: building it needs node "
                    "(pip install -e . builds it)", allow_module_level=True)


def known_upstream_error(error: Any) -> bool:
    """An error of another extension that a test cannot avoid. ipywidgets' JupyterLab
    manager reads the kernel of every notebook that opens, and fails when it has none
    (jupyter-widgets/ipywidgets#3970): an output notebook opens with "No Kernel"."""
    return ("reading 'kernel'" in str(error)
            and "jupyterlab-manager" in (getattr(error, "stack", "") or ""))


@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> None:
    """pytest-jupyter's per-test loop is not wanted here: no in-process server runs, and
    closing "the current loop" after a test would close Playwright's."""


@pytest.fixture(autouse=True)
def jp_server_cleanup() -> None:
    """No in-process server to clean up (the lab runs in a subprocess)."""


@pytest.fixture(scope="package")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """One ``jupyter lab`` for the browser tests (each test gets a fresh page)."""
    server = JupyterLab(base=tmp_path_factory.mktemp("lab"),
                        log_path=ARTIFACTS / "jupyter-lab.log").start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def batch(lab: JupyterLab) -> Batch:
    return Batch(lab)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Chromium through Playwright's sync API. Package scope: Playwright's event loop
    must be gone before the rest of the suite's tests, which make their own."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test, so ``page`` knows whether it failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser: Any, lab: JupyterLab, request: pytest.FixtureRequest) -> Iterator[Any]:
    """JupyterLab loaded in a new browser context, its workspace reset; a screenshot of
    the page is saved when the test fails."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(30_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: None if known_upstream_error(error)
           else errors.append(str(error)))
    # the page's own errors go to the test's output (pytest shows it when a test fails)
    tab.on("console", lambda message: message.type == "error"
           and print("browser console:", message.text))
    tab.goto(lab.lab_url())
    tab.wait_for_function("() => !!window.jupyterapp")
    tab.evaluate("async () => { await window.jupyterapp.restored; }")
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}-FAILED.png"))
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """``shot(page, name)`` saves a screenshot as test-artifacts/browser/TEST-NAME.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path))
        return path

    return take

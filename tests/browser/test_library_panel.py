"""The Library tab of the side panel in a real JupyterLab, driven through Chromium.

The programs come from the server as it ships them; the parameter form is generated from
each one's schema, the server's problems land beside the fields they are about, and
"Use program" creates a workflow that the Workflows tab then shows — and that runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import skip_without_browser
from tests.browser.lab import Batch, JupyterLab
from tests.browser.test_side_panel import (
    accept_dialog,
    open_panel,
    prerun,
    wait_run_state,
    workflow_row,
)

skip_without_browser()

Shot = Callable[[Any, str], Path]

SALES = "region,product,jan,feb\neu,tea,10,12\nus,coffee,7,9\n"


# --- steps in the page ----------------------------------------------------------------

def open_library(page: Any) -> None:
    open_panel(page)
    page.click('.jp-batch-tab[data-tab="library"]')
    page.locator(".jp-batch-program-row").first.wait_for()


def open_program(page: Any, name: str) -> Any:
    """Select a program in the list (a click on the selected one would close it);
    returns its detail (description, versions, form)."""
    row = page.locator(f'.jp-batch-program-row[data-program="{name}"]')
    if row.get_attribute("aria-pressed") != "true":
        row.click()
    detail = page.locator(f'.jp-batch-program[data-program="{name}"]')
    detail.locator(".jp-batch-program-versions [data-version]").first.wait_for()
    return detail


def field(detail: Any, key: str) -> Any:
    return detail.locator(f'.jp-batch-field[data-field="{key}"]')


def param_input(detail: Any, name: str) -> Any:
    return field(detail, f"params.{name}").locator("input, select")


def use(detail: Any) -> None:
    detail.get_by_role("button", name="Use program").click()


def wait_problem(detail: Any, key: str, text: str) -> None:
    field(detail, key).locator(".jp-batch-field-problem", has_text=text).wait_for()


def switch_theme(page: Any, theme: str, light: bool) -> None:
    page.evaluate("theme => window.jupyterapp.commands.execute('apputils:change-theme', "
                  "{theme})", theme)
    page.wait_for_selector(f"body[data-jp-theme-light='{str(light).lower()}']",
                           state="attached")
    page.wait_for_timeout(500)  # the theme's stylesheet applies


# --- tests ----------------------------------------------------------------------------

def test_form_from_the_schema_problems_beside_fields_then_a_workflow_that_runs(
        page: Any, lab: JupyterLab, batch: Batch, shot: Shot) -> None:
    programs = {p["name"]: p for p in batch.library()}
    assert {"columns_to_rows", "rows_to_columns", "file_sync", "table_export",
            "database_to_warehouse", "data_quality"} <= programs.keys()

    open_library(page)
    for name, program in programs.items():
        row = page.locator(f'.jp-batch-program-row[data-program="{name}"]')
        assert program["title"] in row.inner_text()
        assert f"v{program['version']}" in row.inner_text()
    shot(page, "programs")

    # one field per parameter, the input its type calls for, required ones marked,
    # defaults filled in
    schema = programs["columns_to_rows"]["params"]
    detail = open_program(page, "columns_to_rows")
    assert programs["columns_to_rows"]["description"] in detail.inner_text()
    shown = detail.locator('.jp-batch-field[data-field^="params."]')
    assert [shown.nth(i).get_attribute("data-field") for i in range(shown.count())] == [
        f"params.{p['name']}" for p in schema]
    for param in schema:
        assert field(detail, f"params.{param['name']}").locator(
            ".jp-batch-required").count() == int(param["required"])
    assert param_input(detail, "key_name").input_value() == "key"
    assert param_input(detail, "include_nulls").get_attribute("type") == "checkbox"
    assert not param_input(detail, "include_nulls").is_checked()
    mode = next(p for p in schema if p["name"] == "mode")
    assert param_input(detail, "mode").evaluate("el => el.tagName") == "SELECT"
    assert param_input(detail, "mode").input_value() == mode["default"]

    # what the server finds wrong shows beside its field, and nothing is created
    field(detail, "workflow").locator("input").fill("unpivot_sales")
    use(detail)
    wait_problem(detail, "params.source", "is required")
    # beside its field, a problem does not repeat the help text shown above it
    assert field(detail, "params.source").locator(".jp-batch-field-problem").inner_text() \
        == "is required"
    wait_problem(detail, "params.target", "is required")
    assert "is required" not in detail.locator(".jp-batch-error").inner_text()
    assert batch.workflow("unpivot_sales") is None
    shot(page, "problems")

    # the values good, how they go together is checked next
    sales = lab.root / "sales_by_month.csv"
    sales.write_text(SALES, encoding="utf-8")
    param_input(detail, "source").fill(str(sales))
    param_input(detail, "target").fill("sales_long")
    use(detail)
    wait_problem(detail, "params.id_columns", "name the id columns")
    assert detail.locator(".jp-batch-field-problem").count() == 1
    assert batch.workflow("unpivot_sales") is None

    # the example fills the form, with the real file to read: created, and shown
    detail.get_by_role("button", name="Fill example").click()
    assert param_input(detail, "id_columns").input_value() == "region, product"
    param_input(detail, "source").fill(str(sales))
    use(detail)
    row = workflow_row(page, "unpivot_sales")
    assert "jp-mod-selected" in (row.get_attribute("class") or "")
    assert "draft" in row.inner_text()
    page.locator(".Toastify__toast", has_text="Created unpivot_sales from columns_to_rows"
                 ).wait_for()
    shot(page, "created")
    (task,) = batch.workflow("unpivot_sales")["draft"]["tasks"]
    assert task["resource"] == "library/columns_to_rows.py"
    # the example's values, and the defaults the form showed
    assert task["params"] == {"source": str(sales), "id_columns": "region,product",
                              "key_name": "month", "value_name": "sales",
                              "include_nulls": False, "target": "sales_long",
                              "mode": "overwrite"}

    # the workflow works: its pre-run unpivots the file into the warehouse
    run_id = prerun(page, batch, "unpivot_sales")
    wait_run_state(page, run_id, "success")
    table = batch.warehouse_table("sales_long")
    assert table["columns"] == ["region", "product", "month", "sales"]
    assert sorted(table["rows"]) == [["eu", "tea", "feb", 12], ["eu", "tea", "jan", 10],
                                     ["us", "coffee", "feb", 9], ["us", "coffee", "jan", 7]]

    # the name is taken now: the server says so above the button
    page.click('.jp-batch-tab[data-tab="library"]')
    detail = open_program(page, "columns_to_rows")
    detail.get_by_role("button", name="Fill example").click()
    field(detail, "workflow").locator("input").fill("unpivot_sales")
    use(detail)
    detail.locator(".jp-batch-error", has_text="'unpivot_sales' exists already").wait_for()
    assert detail.locator(".jp-batch-field-problem").count() == 0


def test_use_with_a_schedule_and_publish_in_both_themes(page: Any, batch: Batch,
                                                        shot: Shot) -> None:
    open_library(page)
    switch_theme(page, "JupyterLab Dark", light=False)
    try:
        detail = open_program(page, "rows_to_columns")
        detail.get_by_role("button", name="Fill example").click()
        field(detail, "workflow").locator("input").fill("pivot_nightly")
        field(detail, "schedule").locator('input[type="checkbox"]').check()
        detail.locator('input[name="cron"]').fill("30 99 * * 1-5")
        detail.locator('input[name="timezone"]').fill("Europe/Berlin")
        field(detail, "publish").locator("input").check()
        # the form is kept while another tab shows
        page.click('.jp-batch-tab[data-tab="workflows"]')
        page.click('.jp-batch-tab[data-tab="library"]')
        assert field(detail, "workflow").locator("input").input_value() == "pivot_nightly"
        assert detail.locator('input[name="cron"]').input_value() == "30 99 * * 1-5"
        use(detail)
        wait_problem(detail, "schedule", "hour field")
        assert "minute hour day month weekday" in field(detail, "schedule").inner_text()
        assert batch.workflow("pivot_nightly") is None
        shot(page, "dark-problem")

        detail.locator('input[name="cron"]').fill("30 6 * * 1-5")
        assert "every weekday (Monday to Friday) at 06:30" in field(
            detail, "schedule").inner_text()
        shot(page, "dark-form")
        use(detail)
        row = workflow_row(page, "pivot_nightly")
        row.locator(".jp-batch-wfstate", has_text="published v1").wait_for()
        # published: its next fire joins the line, both told in Berlin's time
        assert re.search(r"every weekday \(Monday to Friday\) at 06:30 · next .*, 06:30 "
                         r"\(Europe/Berlin\)", row.inner_text()), row.inner_text()
        shot(page, "dark-created")
    finally:
        switch_theme(page, "JupyterLab Light", light=True)
    workflow = batch.workflow("pivot_nightly")
    assert workflow["state"] == "published"
    assert workflow["draft"]["schedule"] == {"cron": "30 6 * * 1-5",
                                             "timezone": "Europe/Berlin"}
    page.click('.jp-batch-tab[data-tab="library"]')
    open_program(page, "rows_to_columns")
    shot(page, "light-form")


def test_versions_open_read_only_and_a_copy_becomes_a_user_resource(
        page: Any, batch: Batch, shot: Shot) -> None:
    open_library(page)
    detail = open_program(page, "file_sync")
    detail.locator('.jp-batch-program-versions [data-version="1"]').click()
    editor = page.locator(".jp-batch-version-editor:visible")
    editor.wait_for()
    assert "PROGRAM = Program(" in editor.inner_text()
    assert page.locator(".lm-TabBar-tab.lm-mod-current",
                        has_text="library/file_sync.py@1 (read-only)").count() == 1

    detail.get_by_role("button", name="Copy to my resources…").click()
    dialog_input = page.locator(".jp-Dialog input")
    assert dialog_input.input_value() == "file_sync.py"
    dialog_input.fill("my_file_sync.py")
    shot(page, "copy-dialog")
    accept_dialog(page, "Copy")

    # the Resources tab shows the copy, beside the library's own resources
    versions = page.locator('.jp-batch-versions[data-resource="my_file_sync.py"]')
    versions.locator('.jp-batch-version[data-version="1"]').wait_for()
    assert "copied from library/file_sync.py@1" in versions.inner_text()
    shot(page, "copied")
    (version,) = batch.resource_versions("my_file_sync.py")
    assert version["message"] == "copied from library/file_sync.py@1"

    # the library's own are read-only
    page.locator('.jp-batch-resource[data-resource="library/file_sync.py"]').click()
    versions = page.locator('.jp-batch-versions[data-resource="library/file_sync.py"]')
    versions.locator('.jp-batch-version[data-version="1"]').wait_for()
    assert "read-only" in versions.inner_text()
    assert versions.get_by_role("button", name="Upload current file").count() == 0

    # a name that is taken is refused, readably
    page.click('.jp-batch-tab[data-tab="library"]')
    open_program(page, "file_sync").get_by_role("button", name="Copy to my resources…").click()
    page.locator(".jp-Dialog input").fill("my_file_sync.py")
    accept_dialog(page, "Copy")
    page.locator(".Toastify__toast", has_text="exists already").wait_for()

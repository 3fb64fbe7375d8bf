"""The URL table, in one place: each route's OpenAPI path, its pattern and its handler."""

from __future__ import annotations

from . import handlers as h
from .store_info import StoreHandler

PREFIX = "/batch/api"
_NAME = r"(?P<name>[A-Za-z0-9_.+@-]+)"
#: a resource: a plain name, or a library program's ``library/<name>.py`` (its ``/`` sent
#: as it is or encoded)
_RESOURCE = r"(?P<name>(?:library(?:/|%2[Ff]))?[A-Za-z0-9_.+@-]+)"
_PROGRAM = r"(?P<name>[A-Za-z0-9_]+)"
_RUN = r"(?P<run_id>\d+)"
_TASK = r"(?P<task>[A-Za-z0-9_-]+)"

#: (OpenAPI path, tornado pattern, handler); patterns use named groups
ROUTES: list[tuple[str, str, type[h.BatchHandler]]] = [
    ("/workflows", "/workflows", h.WorkflowsHandler),
    ("/workflows/validate", "/workflows/validate", h.WorkflowValidateHandler),
    ("/workflows/{name}", f"/workflows/{_NAME}", h.WorkflowHandler),
    ("/workflows/{name}/versions", f"/workflows/{_NAME}/versions", h.WorkflowVersionsHandler),
    ("/workflows/{name}/versions/{version}",
     f"/workflows/{_NAME}/versions/(?P<version>\\d+)", h.WorkflowVersionsHandler),
    ("/workflows/{name}/layout", f"/workflows/{_NAME}/layout", h.LayoutHandler),
    ("/workflows/{name}/{action}",
     f"/workflows/{_NAME}/(?P<action>prerun|publish|offline|runs|backfill)",
     h.WorkflowActionHandler),
    ("/runs", "/runs", h.RunsHandler),
    ("/runs/{run_id}", f"/runs/{_RUN}", h.RunHandler),
    ("/runs/{run_id}/{action}", f"/runs/{_RUN}/(?P<action>stop|rerun|recover)",
     h.RunActionHandler),
    ("/runs/{run_id}/tasks/{task}/attempts", f"/runs/{_RUN}/tasks/{_TASK}/attempts",
     h.AttemptsHandler),
    ("/runs/{run_id}/tasks/{task}/log", f"/runs/{_RUN}/tasks/{_TASK}/log", h.LogHandler),
    ("/runs/{run_id}/tasks/{task}/output", f"/runs/{_RUN}/tasks/{_TASK}/output",
     h.OutputHandler),
    ("/resources", "/resources", h.ResourcesHandler),
    ("/resources/{name}", f"/resources/{_RESOURCE}", h.ResourceHandler),
    ("/resources/{name}/versions/{version}",
     f"/resources/{_RESOURCE}/versions/(?P<version>\\d+)", h.ResourceVersionHandler),
    ("/resources/{name}/diff", f"/resources/{_RESOURCE}/diff", h.ResourceDiffHandler),
    ("/library", "/library", h.LibraryHandler),
    ("/library/{name}", f"/library/{_PROGRAM}", h.LibraryProgramHandler),
    ("/library/{name}/use", f"/library/{_PROGRAM}/use", h.LibraryUseHandler),
    ("/library/{name}/copy", f"/library/{_PROGRAM}/copy", h.LibraryCopyHandler),
    ("/scheduler", "/scheduler", h.SchedulerHandler),
    ("/store", "/store", StoreHandler),
    ("/warehouse/tables", "/warehouse/tables", h.WarehouseTablesHandler),
    ("/warehouse/tables/{table}", "/warehouse/tables/(?P<table>[A-Za-z0-9_.]+)",
     h.WarehouseTableHandler),
    ("/openapi.json", "/openapi.json", h.OpenAPIHandler),
]

HTTP_METHODS = ("get", "post", "put", "delete", "patch")


def url_table() -> list[tuple[str, type[h.BatchHandler]]]:
    """The routes, then one for every other path under the prefix (a JSON 404)."""
    return [*((PREFIX + pattern, handler) for _, pattern, handler in ROUTES),
            (PREFIX + "(?:/.*)?", h.NoRouteHandler)]


def route_methods() -> list[tuple[str, str]]:
    """(OpenAPI path, method) of every route a handler serves."""
    found = []
    for path, _, handler in ROUTES:
        for method in HTTP_METHODS:
            if getattr(handler, method) is not getattr(h.BatchHandler, method):
                found.append((path, method))
    return found

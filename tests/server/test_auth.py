"""Every REST endpoint requires Jupyter's authentication and authorization.

The walk covers every route of ``routes.ROUTES`` and every method its handler serves
(each alternative of an ``{action}`` too), on a server holding a real workflow, run and
resource, so a handler that forgot its check would answer 2xx rather than 404.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest
from jupyter_server.auth import Authorizer, User
from jupyter_server.auth.identity import PasswordIdentityProvider
from tornado.httpclient import HTTPResponse

from jupyter_batch.server.app import BatchApp
from jupyter_batch.server.routes import PREFIX, ROUTES, route_methods
from tests.helpers import shell, workflow_doc
from tests.server.api import BatchAPI

#: a value for each path parameter; the walk's data is created with these names
VALUES = {"name": "wf", "version": "1", "run_id": "1", "task": "a", "table": "t"}


def concrete_requests() -> list[tuple[str, str]]:
    """(method, URL path under /batch/api) for every route and method handlers serve;
    a parameter the pattern restricts to alternatives (``{action}``) takes each one."""
    patterns = {path: pattern for path, pattern, _ in ROUTES}
    found = []
    for path, method in route_methods():
        choices = re.search(r"\(\?P<action>([a-z|]+)\)", patterns[path])
        actions = choices.group(1).split("|") if choices else [""]
        resource_path = path.replace("{name}", "x.sh") if path.startswith("/resources") \
            else path
        for action in actions:
            url = re.sub(r"\{(\w+)\}", lambda m, a=action: a if m.group(1) == "action"
                         else VALUES[m.group(1)], resource_path)
            found.append((method.upper(), url))
    return found


REQUESTS = concrete_requests()


def test_the_walk_covers_every_route_and_method() -> None:
    """Every (route, method) is walked: tornado sends a request to the first route whose
    pattern matches it."""
    walked = set()
    for method, url in REQUESTS:
        first = next(path for path, pattern, _ in ROUTES if re.fullmatch(pattern, url))
        walked.add((first, method.lower()))
    assert walked == set(route_methods())


def seed(service: Any) -> None:
    """A published workflow ``wf`` with a finished run 1 (task ``a``) and a resource."""
    service.add_resource("x.sh", b"echo x\n", author="seed")
    service.save_workflow(workflow_doc("wf", tasks=[shell("a")]))
    service.publish("wf", author="seed")
    run_id = service.prerun("wf", "2026-03-02")
    assert run_id == 1
    service.wait_run(run_id)


async def walk(http_server_client: Any, base_url: str,
               headers: dict[str, str]) -> dict[tuple[str, str], int]:
    codes = {}
    for method, url in REQUESTS:
        response: HTTPResponse = await http_server_client.fetch(
            base_url.rstrip("/") + PREFIX + url, method=method, headers=headers,
            body=b"{}" if method in ("POST", "PUT") else None, raise_error=False,
            follow_redirects=False)
        codes[(method, url)] = response.code
    return codes


@pytest.mark.parametrize("headers", [{}, {"Authorization": "token not-the-token"}],
                         ids=["no credentials", "a wrong token"])
async def test_without_credentials_every_route_is_refused(
        api: BatchAPI, batch_app: BatchApp, http_server_client: Any, jp_base_url: str,
        headers: dict[str, str]) -> None:
    seed(batch_app.service)
    before = (await api.ok("GET", "/runs"), await api.ok("GET", "/workflows"))
    codes = await walk(http_server_client, jp_base_url, headers)
    refused = {request: code for request, code in codes.items() if code in (401, 403)}
    assert refused == codes
    # and nothing happened
    assert (await api.ok("GET", "/runs"), await api.ok("GET", "/workflows")) == before


async def test_with_credentials_the_walk_reaches_every_handler(
        api: BatchAPI, batch_app: BatchApp) -> None:
    """The control: with the token, no request of the walk is refused or unrouted (an
    unrouted path answers the 404 "no such API route")."""
    seed(batch_app.service)
    for method, url in REQUESTS:
        reply = await api.request(method, url, {} if method in ("POST", "PUT") else None)
        assert reply.code not in (401, 403, 405), (method, url, reply)
        assert b"no such API route" not in reply.body, (method, url, reply)


@pytest.mark.parametrize("url", ["/runs/abc", "/nothing/here"])
async def test_a_path_no_route_matches_needs_credentials_too(
        http_server_client: Any, jp_base_url: str, url: str) -> None:
    response: HTTPResponse = await http_server_client.fetch(
        jp_base_url.rstrip("/") + PREFIX + url, raise_error=False, follow_redirects=False)

    assert response.code == 403


class DenyAll(Authorizer):
    """Authenticated users may do nothing."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return False


class TestAnAuthorizerThatDeniesEverything:
    @pytest.fixture
    def jp_server_config(self, jp_server_config: Any) -> Any:
        jp_server_config.ServerApp.authorizer_class = DenyAll
        return jp_server_config

    async def test_every_route_answers_403(self, batch_app: BatchApp, http_server_client: Any,
                                           jp_base_url: str,
                                           jp_auth_header: dict[str, str]) -> None:
        assert isinstance(batch_app.serverapp.authorizer, DenyAll)
        seed(batch_app.service)
        codes = await walk(http_server_client, jp_base_url, jp_auth_header)
        assert codes == dict.fromkeys(REQUESTS, 403)
        # and nothing happened
        run = batch_app.service.get_run(1)
        assert (run.trigger, [t.attempt for t in run.tasks]) == ("prerun", [1])
        assert batch_app.service.list_runs()[1] == 1
        assert batch_app.service.get_workflow("wf").state == "published"


async def test_a_personal_servers_versions_are_its_owners(
        api: BatchAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """Jupyter's token login makes up a name per cookie-less request ("Anonymous Io",
    then "Anonymous Pandia"): versions are the server's author instead, as the CLI's."""
    monkeypatch.setenv("JUPYTER_BATCH_AUTHOR", "owner")
    await api.add_resource("clean.py", "print(1)\n")
    await api.add_resource("clean.py", "print(2)\n")

    versions = (await api.ok("GET", "/resources/clean.py"))["versions"]
    assert [v["author"] for v in versions] == ["owner", "owner"]


class NamedUsers(PasswordIdentityProvider):
    """An identity provider that knows its users' names, as JupyterHub's does (the
    token still logs in)."""

    async def get_user(self, handler: Any) -> User | None:
        user = super().get_user(handler)
        if inspect.isawaitable(user):
            user = await user
        return user and User(username=user.username, name="Zoe Example")


class TestAnIdentityProviderThatNamesUsers:
    @pytest.fixture
    def jp_server_config(self, jp_server_config: Any) -> Any:
        jp_server_config.ServerApp.identity_provider_class = NamedUsers
        return jp_server_config

    async def test_versions_carry_the_users_name(self, api: BatchAPI) -> None:
        await api.add_resource("clean.py", "print(1)\n")
        versions = (await api.ok("GET", "/resources/clean.py"))["versions"]
        assert [v["author"] for v in versions] == ["Zoe Example"]

"""Generic scope and permission tests, driven by a table (in the spirit of NetBox's
utilities/testing/views.py and api.py).

A test class for a scoped model subclasses ``ScopedViewTests`` (pages) and/or
``ScopedAPITests`` (REST), writes its expectations as a table of (role, action, expected)
and fills in a handful of hooks that say which object each role works on. Every row of the
table becomes one test; every test checks the status code *and* the effect a user would
notice (the row is listed or not, the record changed or not, no out-of-scope name leaks).

    class TestFacilityPages(ScopedViewTests):
        model = OrgUnit
        url_namespace = "orgunits"
        scope = {"admin": ALL, "doh": {"syt_bn", ...}, ...}
        matrix = '''
                     list  detail  foreign  add   edit
            anonymous login login  login    login login
            doh      ok    ok      404      ok    ok
            viewer   ok    ok      404      403   403
        '''

Expected values: ``ok`` (allowed and done), ``403`` (refused, nothing changes), ``404``
(out of scope: the object does not exist for this user), ``login`` (anonymous: pages
redirect to the login page, the API answers 401 or 403), ``-`` (not applicable).

Roles are the attributes of the ``users`` fixture plus ``anonymous``. The objects live in
a ``world`` fixture the subclass provides (a namespace: key -> object).
Extra, model-specific actions are added by defining ``check_<action>(self, ctx, expected)``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any, NamedTuple

import pytest
from django.test import Client
from django.test.client import ClientHandler
from django.urls import reverse
from openpyxl import load_workbook

ANONYMOUS = "anonymous"
OK, DENIED, NOT_FOUND, LOGIN, SKIP = "ok", "403", "404", "login", "-"
OUTCOMES = {OK, DENIED, NOT_FOUND, LOGIN}
ALL = "__all__"


class Row(NamedTuple):
    role: str
    action: str
    expected: str


def parse_matrix(tables: str | tuple[str, ...]) -> list[Row]:
    """Whitespace-separated tables: a header of actions, then one line per role.

    A wide matrix may be given as several tables (a tuple), each with its own header."""
    if not isinstance(tables, str):
        return [row for table in tables for row in parse_matrix(table)]
    lines = [line.split() for line in tables.strip().splitlines() if line.strip()]
    actions, body = lines[0], lines[1:]
    rows = []
    for cells in body:
        role, values = cells[0], cells[1:]
        if len(values) != len(actions):
            raise ValueError(f"matrix row {role!r} has {len(values)} cells for {len(actions)}")
        for action, expected in zip(actions, values, strict=True):
            if expected == SKIP:
                continue
            if expected not in OUTCOMES:
                raise ValueError(f"matrix cell {role}/{action}: unknown outcome {expected!r}")
            rows.append(Row(role, action, expected))
    return rows


@dataclass
class Ctx:
    """What a check needs: the signed-in client, the role and the objects."""

    client: Client
    role: str
    user: Any
    world: Any


_handler: ClientHandler | None = None


def new_client(enforce_csrf_checks=False, **defaults) -> Client:
    """A test client sharing one request handler: building the middleware chain (WhiteNoise
    scans every static file) costs more than most tests. Middleware objects are shared
    between requests in production too; a test that changes MIDDLEWARE needs ``Client()``."""
    global _handler
    client = Client(enforce_csrf_checks, **defaults)
    if enforce_csrf_checks:
        return client
    if _handler is None:
        _handler = client.handler
    client.handler = _handler
    return client


def client_for(users, role: str) -> tuple[Client, Any]:
    client = new_client()
    user = None
    if role != ANONYMOUS:
        user = getattr(users, role)
        client.force_login(user)
    return client, user


def assert_login_redirect(response):
    assert response.status_code == 302, response.status_code
    assert reverse("login") in response["Location"]


def count_queries(client, url, data=None) -> int:
    """The number of SQL queries one GET costs (the response must be a 200)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, data or {})
    assert response.status_code == 200, response.status_code
    return len(queries)


def assert_no_n_plus_one(client, url, add_rows, data=None):
    """A page's query count must not grow with its rows (NetBox's query-count baselines):
    measure, let ``add_rows()`` create more rows the page shows, measure again."""
    count_queries(client, url, data)  # warm caches (content types, sessions)
    before = count_queries(client, url, data)
    add_rows()
    after = count_queries(client, url, data)
    assert after == before, f"{url}: {before} queries, {after} with more rows"


def table_from_export(response) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a .csv or .xlsx download, as text."""
    content_type = response["Content-Type"]
    if "csv" in content_type:
        text = response.content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
    else:
        wb = load_workbook(io.BytesIO(response.content), read_only=True)
        rows = [
            ["" if v is None else str(v) for v in r]
            for r in wb.worksheets[0].iter_rows(values_only=True)
        ]
        wb.close()
    return rows[0], rows[1:]


class _MatrixBase:
    """Shared plumbing: parametrize ``row`` from ``matrix``; resolve keys to objects."""

    model = None
    matrix: str | tuple[str, ...] = ""
    # role -> keys (attributes of ``world``) the role sees; ALL for everything.
    scope: dict[str, Any] = {}

    def pytest_generate_tests(self, metafunc):
        if "row" in metafunc.fixturenames:
            rows = parse_matrix(self.matrix)
            metafunc.parametrize(
                "row", rows, ids=[f"{r.role}-{r.action}-{r.expected}" for r in rows]
            )

    @pytest.fixture
    def world(self):  # pragma: no cover - subclasses provide it
        raise NotImplementedError("define a `world` fixture returning the objects by key")

    # Hooks ------------------------------------------------------------------------------
    def target(self, world, role):
        """An object inside the role's scope that it may act on (a leaf, so it can retire)."""
        raise NotImplementedError

    def foreign(self, world, role):
        """An object outside the role's scope."""
        raise NotImplementedError

    def context_keys(self, world, role) -> set[str]:
        """Objects outside the scope the role may still see named (e.g. its parents)."""
        return set()

    def key(self, obj) -> str:
        """The value identifying an object in lists, exports and API results."""
        return obj.code

    def label(self, obj) -> str:
        return obj.name

    def reload(self, obj):
        return type(obj).objects.get(pk=obj.pk)

    # Helpers ----------------------------------------------------------------------------
    def all_keys(self, world) -> set[str]:
        return set(vars(world))

    def visible_keys(self, world, role) -> set[str]:
        keys = self.scope[role]
        return self.all_keys(world) if keys == ALL else set(keys)

    def hidden_objects(self, world, role) -> list:
        hidden = self.all_keys(world) - self.visible_keys(world, role)
        hidden -= self.context_keys(world, role)
        return [getattr(world, k) for k in sorted(hidden)]

    def expected_keys(self, world, role) -> set[str]:
        return {self.key(getattr(world, k)) for k in self.visible_keys(world, role)}

    def assert_no_leak(self, text: str, world, role):
        for obj in self.hidden_objects(world, role):
            assert self.label(obj) not in text, f"{role} sees out-of-scope {self.label(obj)!r}"
            assert self.key(obj) not in text, f"{role} sees out-of-scope {self.key(obj)!r}"

    def run_row(self, row: Row, users, world):
        client, user = client_for(users, row.role)
        check = getattr(self, f"check_{row.action}", None)
        assert check is not None, f"{type(self).__name__} has no check_{row.action}"
        check(Ctx(client, row.role, user, world), row.expected)


class ScopedViewTests(_MatrixBase):
    """Pages: list (and its .xlsx/.csv exports), detail, add, edit, retire, import.

    Subclasses set ``url_namespace`` (URL names ``<ns>:list``, ``:detail``, ``:add``,
    ``:edit``, ``:retire``, ``:import`` taking the object's ``uid``) and implement
    ``create_data``, ``created``, ``edit_data``, ``edited``, ``retire_data``, ``retired``.
    """

    url_namespace = ""
    lookup = "uid"

    def test_page_matrix(self, row, users, world):
        self.run_row(row, users, world)

    def url(self, name, obj=None):
        args = [getattr(obj, self.lookup)] if obj is not None else []
        return reverse(f"{self.url_namespace}:{name}", args=args)

    def create_data(self, world, role) -> dict:
        raise NotImplementedError

    def created(self, data):
        """The queryset of objects the create form data would have made."""
        raise NotImplementedError

    def edit_data(self, obj) -> dict:
        raise NotImplementedError

    def edited(self, obj) -> bool:
        raise NotImplementedError

    def retire_data(self, obj) -> dict:
        return {}

    def retired(self, obj) -> bool:
        return not self.reload(obj).active

    def assert_outcome(self, response, expected):
        """For writes: ``ok`` is a redirect to the saved object, never a re-shown form."""
        if expected == LOGIN:
            assert_login_redirect(response)
        elif expected == OK:
            assert response.status_code in (200, 302), response.status_code
        else:
            assert response.status_code == int(expected), response.status_code

    # Checks, one per action column -----------------------------------------------------
    def check_list(self, ctx, expected):
        response = ctx.client.get(self.url("list"))
        self.assert_outcome(response, expected)
        if expected != OK:
            return
        assert response.status_code == 200
        shown = {self.key(o) for o in response.context["page_obj"].object_list}
        assert shown == self.expected_keys(ctx.world, ctx.role)
        assert response.context["total"] == len(self.visible_keys(ctx.world, ctx.role))
        text = response.content.decode()
        for key in self.visible_keys(ctx.world, ctx.role):
            assert self.label(getattr(ctx.world, key)) in text
        self.assert_no_leak(text, ctx.world, ctx.role)

    def _check_export(self, ctx, expected, fmt):
        response = ctx.client.get(self.url("list"), {"export": fmt})
        self.assert_outcome(response, expected)
        if expected != OK:
            return
        assert response.status_code == 200
        assert response["Content-Disposition"].endswith(f'.{fmt}"')
        header, rows = table_from_export(response)
        assert {r[0] for r in rows} == self.expected_keys(ctx.world, ctx.role)
        text = "\n".join("\t".join(r) for r in rows)
        self.assert_no_leak(text, ctx.world, ctx.role)

    def check_export_csv(self, ctx, expected):
        self._check_export(ctx, expected, "csv")

    def check_export_xlsx(self, ctx, expected):
        self._check_export(ctx, expected, "xlsx")

    def check_detail(self, ctx, expected):
        obj = self.target(ctx.world, ctx.role)
        response = ctx.client.get(self.url("detail", obj))
        self.assert_outcome(response, expected)
        if expected == OK:
            assert response.status_code == 200
            assert self.label(obj) in response.content.decode()

    def check_foreign(self, ctx, expected):
        obj = self.foreign(ctx.world, ctx.role)
        response = ctx.client.get(self.url("detail", obj))
        self.assert_outcome(response, expected)
        if expected != LOGIN:
            assert self.label(obj) not in response.content.decode()

    def check_add(self, ctx, expected):
        data = self.create_data(ctx.world, ctx.role)
        response = ctx.client.post(self.url("add"), data)
        self.assert_outcome(response, expected)
        if expected == OK:
            assert response.status_code == 302, _form_errors(response)
        assert self.created(data).exists() == (expected == OK)

    def check_edit(self, ctx, expected):
        obj = self.target(ctx.world, ctx.role)
        response = ctx.client.post(self.url("edit", obj), self.edit_data(obj))
        self.assert_outcome(response, expected)
        if expected == OK:
            assert response.status_code == 302, _form_errors(response)
        assert self.edited(obj) == (expected == OK)

    def check_foreign_edit(self, ctx, expected):
        obj = self.foreign(ctx.world, ctx.role)
        response = ctx.client.post(self.url("edit", obj), self.edit_data(obj))
        self.assert_outcome(response, expected)
        assert not self.edited(obj)

    def check_retire(self, ctx, expected):
        obj = self.target(ctx.world, ctx.role)
        response = ctx.client.post(self.url("retire", obj), self.retire_data(obj))
        self.assert_outcome(response, expected)
        if expected == OK:
            assert response.status_code == 302, _form_errors(response)
        assert self.retired(obj) == (expected == OK)

    def check_foreign_retire(self, ctx, expected):
        obj = self.foreign(ctx.world, ctx.role)
        response = ctx.client.post(self.url("retire", obj), self.retire_data(obj))
        self.assert_outcome(response, expected)
        assert not self.retired(obj)

    def check_import(self, ctx, expected):
        response = ctx.client.get(self.url("import"))
        self.assert_outcome(response, expected)
        if expected == OK:
            assert response.status_code == 200


class ScopedAPITests(_MatrixBase):
    """REST: list, detail, create (POST), update (PATCH), delete (DELETE = retire).

    Subclasses set ``api_url`` (the collection, e.g. "/api/facilities/") and implement
    ``api_create_data``, ``created``, ``api_edit_data``, ``edited``, ``retired``.
    """

    api_url = ""
    lookup = "uid"

    def test_api_matrix(self, row, users, world):
        self.run_row(row, users, world)

    def item_url(self, obj):
        return f"{self.api_url}{getattr(obj, self.lookup)}/"

    def api_create_data(self, world, role) -> dict:
        raise NotImplementedError

    def created(self, data):
        raise NotImplementedError

    def api_edit_data(self, obj) -> dict:
        raise NotImplementedError

    def edited(self, obj) -> bool:
        raise NotImplementedError

    def retired(self, obj) -> bool:
        return not self.reload(obj).active

    def assert_outcome(self, response, expected, ok_status=200):
        if expected == LOGIN:
            assert response.status_code in (401, 403), response.status_code
        elif expected == OK:
            assert response.status_code == ok_status, (response.status_code, _body(response))
        else:
            assert response.status_code == int(expected), (response.status_code, _body(response))

    def check_list(self, ctx, expected):
        response = ctx.client.get(self.api_url, {"limit": 1000})
        self.assert_outcome(response, expected)
        if expected != OK:
            return
        body = response.json()
        assert body["count"] == len(self.visible_keys(ctx.world, ctx.role))
        assert {self.key_of_json(r) for r in body["results"]} == self.expected_keys(
            ctx.world, ctx.role
        )
        self.assert_no_leak(response.content.decode(), ctx.world, ctx.role)

    def key_of_json(self, item: dict) -> str:
        return item["code"]

    def check_detail(self, ctx, expected):
        obj = self.target(ctx.world, ctx.role)
        response = ctx.client.get(self.item_url(obj))
        self.assert_outcome(response, expected)
        if expected == OK:
            assert self.key_of_json(response.json()) == self.key(obj)

    def check_foreign(self, ctx, expected):
        obj = self.foreign(ctx.world, ctx.role)
        response = ctx.client.get(self.item_url(obj))
        self.assert_outcome(response, expected)
        assert self.label(obj) not in response.content.decode()

    def check_create(self, ctx, expected):
        data = self.api_create_data(ctx.world, ctx.role)
        response = ctx.client.post(self.api_url, data, content_type="application/json")
        self.assert_outcome(response, expected, ok_status=201)
        assert self.created(data).exists() == (expected == OK)

    def check_update(self, ctx, expected):
        obj = self.target(ctx.world, ctx.role)
        response = ctx.client.patch(
            self.item_url(obj), self.api_edit_data(obj), content_type="application/json"
        )
        self.assert_outcome(response, expected)
        assert self.edited(obj) == (expected == OK)

    def check_foreign_update(self, ctx, expected):
        obj = self.foreign(ctx.world, ctx.role)
        response = ctx.client.patch(
            self.item_url(obj), self.api_edit_data(obj), content_type="application/json"
        )
        self.assert_outcome(response, expected)
        assert not self.edited(obj)

    def check_delete(self, ctx, expected):
        obj = self.target(ctx.world, ctx.role)
        response = ctx.client.delete(self.item_url(obj))
        self.assert_outcome(response, expected, ok_status=204)
        assert self.retired(obj) == (expected == OK)

    def check_foreign_delete(self, ctx, expected):
        obj = self.foreign(ctx.world, ctx.role)
        response = ctx.client.delete(self.item_url(obj))
        self.assert_outcome(response, expected, ok_status=204)
        assert not self.retired(obj)


def _form_errors(response):
    form = (response.context or {}).get("form") if hasattr(response, "context") else None
    return form.errors.as_json() if form is not None else response.status_code


def _body(response):
    try:
        return response.json()
    except ValueError:
        return response.content[:300]

"""The HTTP edge without Neo4j: auth, problem+json for every error, spec, request ids."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ontology import Ontology, load_ontology
from ontology.errors import GraphUnavailable
from service.app import create_app
from service.auth import create_key
from service.settings import Settings
from service.wiring import Services

PROBLEM = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "request_id"}


class FakeStore:
    """API keys in a dict; every other query finds nothing (so ids are unknown)."""

    def __init__(self) -> None:
        self.keys: dict[str, dict[str, Any]] = {}
        self.fail: Exception | None = None

    def read(self, query: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        name = query
        if self.fail is not None:
            raise self.fail
        if name == "keys_lookup":
            row = self.keys.get((params or {})["id"])
            return [dict(row)] if row else []
        return []

    def write(self, steps: Sequence[tuple[str, Mapping[str, Any]]]
              ) -> list[list[dict[str, Any]]]:
        out: list[list[dict[str, Any]]] = []
        for name, params in steps:
            if name == "keys_create":
                self.keys[params["id"]] = {**params, "revoked": False}
            elif name == "keys_revoke":
                self.keys[params["id"]]["revoked"] = True
            out.append([])
        return out

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def ontology() -> Ontology:
    return load_ontology(())


def make_app(ontology: Any, **changes: Any) -> tuple[Flask, FakeStore]:
    settings = dataclasses.replace(Settings(), **changes)
    store = FakeStore()
    svc = Services(settings=settings, store=store, ontology=ontology)  # type: ignore[arg-type]
    return create_app(settings, services=svc), store


@pytest.fixture
def app_store(ontology: Any) -> tuple[Flask, FakeStore]:
    return make_app(ontology, max_request_bytes=4096, metrics_public=False)


@pytest.fixture
def client(app_store: tuple[Flask, FakeStore]) -> FlaskClient:
    return app_store[0].test_client()


@pytest.fixture
def keys(app_store: tuple[Flask, FakeStore]) -> dict[str, dict[str, str]]:
    store = app_store[1]
    out = {}
    for role in ("reader", "ingester", "admin"):
        issued = create_key(store, principal=f"{role}-1", roles=[role])
        out[role] = {"Authorization": f"Bearer {issued.key}"}
    return out


def assert_problem(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.data
    assert resp.mimetype == PROBLEM
    body = resp.get_json(force=True)
    assert set(body) >= PROBLEM_KEYS and body["status"] == status
    assert body["request_id"] == resp.headers["X-Request-ID"]
    assert "Traceback" not in resp.get_data(as_text=True)
    return dict(body)


def test_no_key_bad_key_revoked_key_are_401(client: FlaskClient, app_store: Any) -> None:
    body = assert_problem(client.post("/v1/retrieve", json={"question": "q"}), 401)
    assert body["type"].endswith("/unauthorized")
    resp = client.post("/v1/retrieve", json={"question": "q"},
                       headers={"Authorization": "Bearer kg_0123456789abcdef_" + "x" * 43})
    assert_problem(resp, 401)
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    issued = create_key(app_store[1], principal="gone", roles=["admin"])
    app_store[1].write([("keys_revoke", {"id": issued.key_id})])
    assert_problem(client.get("/v1/documents/x", headers={
        "Authorization": f"Bearer {issued.key}"}), 401)


def test_roles_are_403(client: FlaskClient, keys: dict[str, dict[str, str]]) -> None:
    reader = keys["reader"]
    assert_problem(client.delete("/v1/documents/d1", headers=reader), 403)
    body = assert_problem(client.post("/v1/documents", json={"title": "t", "text": "x"},
                                      headers=reader), 403)
    assert body["type"].endswith("/forbidden")
    assert_problem(client.delete("/v1/documents/d1", headers=keys["ingester"]), 404)


def test_auth_comes_before_body_validation(client: FlaskClient) -> None:
    assert_problem(client.post("/v1/retrieve", data="{not json",
                               content_type="application/json"), 401)


@pytest.mark.parametrize(("payload", "field"), [
    ({"question": "q", "k": "5"}, "k"),
    ({"question": "q", "k": 5.5}, "k"),
    ({"question": "q", "k": True}, "k"),
    ({"question": "q", "hops": 9}, "hops"),
    ({"question": "q", "mode": "magic"}, "mode"),
    ({"question": 7}, "question"),
    ({"question": ""}, "question"),
    ({}, "question"),
    ({"question": "q", "extra": 1}, "extra"),
])
def test_wrong_types_and_unknown_fields_are_422(client: FlaskClient, keys: Any,
                                                payload: dict[str, Any], field: str) -> None:
    body = assert_problem(client.post("/v1/query", json=payload, headers=keys["reader"]), 422)
    assert body["type"].endswith("/validation-error")
    assert any(e["field"] == field and e["in"] == "json" and e["messages"]
               for e in body["errors"]), body


def test_a_json_array_is_422(client: FlaskClient, keys: Any) -> None:
    body = assert_problem(client.post("/v1/retrieve", json=[1, 2], headers=keys["reader"]), 422)
    assert body["errors"]


def test_malformed_json_is_400(client: FlaskClient, keys: Any) -> None:
    for path in ("/v1/retrieve", "/v1/documents"):
        body = assert_problem(client.post(path, data='{"question": ', headers=keys["admin"],
                                          content_type="application/json"), 400)
        assert "JSON" in body["detail"] or "json" in body["detail"]


def test_oversized_body_is_413(client: FlaskClient, keys: Any) -> None:
    big = {"question": "q" * 5000}
    for path in ("/v1/retrieve", "/v1/documents"):
        body = assert_problem(client.post(path, json=big, headers=keys["admin"]), 413)
        assert body["type"].endswith("/payload-too-large")


def test_unknown_route_method_and_ids(client: FlaskClient, keys: Any) -> None:
    assert_problem(client.get("/v1/nothing-here"), 404)
    resp = client.put("/v1/retrieve", headers=keys["reader"])
    assert_problem(resp, 405)
    assert "POST" in resp.headers["Allow"]
    for path in ("/v1/documents/a/b/c", "/v1/entities/e:nobody"):
        assert_problem(client.get(path, headers=keys["reader"]), 404)
    resp = client.post("/v1/feedback", json={"audit_id": "q:1", "rating": 3},
                       headers=keys["reader"])
    assert_problem(resp, 404)
    body = assert_problem(client.post("/v1/feedback", json={"audit_id": "q:1", "rating": 9},
                                      headers=keys["reader"]), 422)
    assert body["errors"][0]["field"] == "rating"


def test_documents_content_types(client: FlaskClient, keys: Any) -> None:
    h = keys["ingester"]
    assert_problem(client.post("/v1/documents", data="hello", content_type="text/plain",
                               headers=h), 415)
    body = assert_problem(client.post("/v1/documents", json={"text": "x", "title": "t",
                                                             "owner": "me"}, headers=h), 422)
    assert body["errors"][0]["field"] == "owner"
    form = {"file": (io.BytesIO(b"# T\n\nHello."), "a.md"), "other": "1"}
    body = assert_problem(client.post("/v1/documents", data=form, headers=h,
                                      content_type="multipart/form-data"), 422)
    assert body["errors"][0] == {"in": "files", "field": "other", "messages": ["Unknown field."]}
    form = {"file": (io.BytesIO(b"\x00\x01"), "a.exe")}
    body = assert_problem(client.post("/v1/documents", data=form, headers=h,
                                      content_type="multipart/form-data"), 422)
    assert "unsupported file type" in body["detail"]


def test_graph_down_is_503_with_retry_after(client: FlaskClient, app_store: Any,
                                            keys: Any) -> None:
    app_store[1].fail = GraphUnavailable("Neo4j is unreachable: connection refused")
    resp = client.post("/v1/retrieve", json={"question": "q"}, headers=keys["reader"])
    body = assert_problem(resp, 503)
    assert resp.headers["Retry-After"].isdigit() and "unreachable" in body["detail"]


def test_unexpected_errors_are_500_problems_without_details(client: FlaskClient, app_store: Any,
                                                            keys: Any) -> None:
    app_store[1].fail = RuntimeError("secret internals")
    resp = client.get("/v1/documents/x", headers=keys["reader"])
    body = assert_problem(resp, 500)
    assert "secret" not in json.dumps(body)


def test_request_ids(client: FlaskClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers[
        "X-Request-ID"] == "abc-123"
    for bad in ("x" * 129, "has space", "<script>"):
        rid = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert rid != bad and len(rid) == 36


@pytest.fixture
def access_log() -> Iterator[list[str]]:
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Collect()
    logger = logging.getLogger("kgrag.access")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def test_one_json_log_line_per_request(client: FlaskClient, keys: Any,
                                       access_log: list[str]) -> None:
    client.get("/v1/documents/some/doc", headers={**keys["reader"], "X-Request-ID": "r-1"})
    [line] = access_log
    entry = json.loads(line)
    assert entry["method"] == "GET" and entry["route"] == "/v1/documents/<path:doc_id>"
    assert entry["status"] == 404 and entry["request_id"] == "r-1"
    assert entry["principal"] == "reader-1" and entry["duration_ms"] >= 0


def test_private_metrics_need_an_admin_key(client: FlaskClient, keys: Any) -> None:
    assert_problem(client.get("/metrics"), 401)
    assert_problem(client.get("/metrics", headers=keys["reader"]), 403)
    client.get("/v1/nothing")
    resp = client.get("/metrics", headers=keys["admin"])
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    text = resp.get_data(as_text=True)
    assert 'kgrag_http_requests_total{method="GET",route="<unmatched>",status="404"}' in text
    assert "kgrag_http_request_duration_seconds_bucket" in text


def test_public_metrics(ontology: Any) -> None:
    app, _ = make_app(ontology, metrics_public=True)
    assert app.test_client().get("/metrics").status_code == 200


def test_every_v1_view_requires_a_role(app_store: tuple[Flask, FakeStore]) -> None:
    app = app_store[0]
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/v1/"):
            view = app.view_functions[rule.endpoint]
            assert getattr(view, "_kgrag_role", None) in ("reader", "ingester"), rule.rule


def test_openapi_31_describes_problems_and_security(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    default = spec["components"]["responses"]["DEFAULT_ERROR"]
    assert list(default["content"]) == [PROBLEM]
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            if path.startswith("/v1/"):
                assert op["security"] == [{"bearerAuth": []}], (path, method)
                assert "default" in op["responses"], (path, method)
    query = spec["components"]["schemas"]["QueryRequest"]
    assert query["additionalProperties"] is False and query["required"] == ["question"]
    assert set(query["properties"]["mode"]["enum"]) == {"vector", "fulltext", "hybrid", "graph"}
    docs = client.get("/docs")
    assert docs.status_code == 200 and b"swagger-ui" in docs.data

"""The REST API v1 against a real Neo4j and real models, through the Flask test client.

One module-scoped graph: the fixture corpus is ingested once, through
``POST /v1/documents`` (multipart uploads), and tests that write use their own ids.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from service.app import create_app
from service.auth import create_key, revoke_key
from tests.conftest import FIXTURES

pytestmark = [pytest.mark.neo4j, pytest.mark.models]

INVOICE = "In which city is the supplier paid under invoice INV-4471 located?"
PROBLEM = "application/problem+json"
Headers = dict[str, str]


def bearer(key: str) -> Headers:
    return {"Authorization": f"Bearer {key}"}


@dataclasses.dataclass
class Api:
    client: FlaskClient
    services: Any
    public: Headers  # reader, public only
    finance: Headers  # reader in finance
    ingester: Headers  # ingester, public only
    admin: Headers
    uploads: list[dict[str, Any]]


@pytest.fixture(scope="module")
def api(services: Any, settings: Any) -> Iterator[Api]:
    from tests.conftest import clean_graph

    # graph_db's clean graph, kept for the whole module (ingesting once keeps it fast).
    clean_graph(services)
    app = create_app(settings, services=services)
    client = app.test_client()
    keys = {name: bearer(create_key(services.store, principal=name, roles=roles,
                                    groups=groups).key)
            for name, roles, groups in (("pat", ["reader"], []),
                                        ("fiona", ["reader"], ["finance"]),
                                        ("ivan", ["ingester"], []),
                                        ("root", ["admin"], []))}
    uploads = []
    for path in sorted((FIXTURES / "corpus").glob("*.md")):
        with path.open("rb") as handle:
            resp = client.post("/v1/documents", headers=keys["root"],
                               data={"file": (handle, path.name)},
                               content_type="multipart/form-data")
        assert resp.status_code == 201, resp.get_json()
        uploads.append(resp.get_json())
    yield Api(client, services, keys["pat"], keys["fiona"], keys["ivan"], keys["root"], uploads)


def problem(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    assert resp.mimetype == PROBLEM
    body: dict[str, Any] = resp.get_json(force=True)
    assert {"type", "title", "status", "detail", "instance", "request_id"} <= set(body)
    return body


def chunk_texts(api: Api) -> dict[str, tuple[str, str]]:
    records, _, _ = api.services.store._driver.execute_query(
        "MATCH (c:Chunk) RETURN c.id AS id, c.text AS text, c.doc_id AS doc")
    return {r["id"]: (r["text"], r["doc"]) for r in records}


# -- documents -----------------------------------------------------------------------------


def test_upload_reports_each_document(api: Api) -> None:
    ids = {u["documents"][0]["id"] for u in api.uploads}
    assert {"fin-1", "vendor-1", "ops-1"} <= ids
    for upload in api.uploads:
        [doc] = upload["documents"]
        assert doc["version"] == 1 and doc["chunks"] >= 1 and doc["unchanged"] is False
        assert upload["run_id"].startswith("run:")
    assert any(u["documents"][0]["relations"] > 0 for u in api.uploads)


def test_json_document_lifecycle(api: Api) -> None:
    c, body = api.client, {"id": "api/note-9", "title": "Dock note",
                           "text": "The Pier archive is hosted in Porto. It keeps ship logs."}
    made = c.post("/v1/documents", json=body, headers=api.ingester)
    assert made.status_code == 201 and made.headers["Location"] == "/v1/documents/api/note-9"
    [doc] = made.get_json()["documents"]
    assert doc["id"] == "api/note-9" and doc["unchanged"] is False and doc["entities"] >= 1
    again = c.post("/v1/documents", json=body, headers=api.ingester)
    assert again.status_code == 200 and again.get_json()["documents"][0]["unchanged"] is True
    got = c.get("/v1/documents/api/note-9", headers=api.public)
    assert got.status_code == 200
    info = got.get_json()
    assert info["title"] == "Dock note" and info["acl"] == ["public"] and info["version"] == 1
    assert len(info["sha256"]) == 64 and info["chunks"] == 1 and info["ingested_at"]
    problem(c.delete("/v1/documents/api/note-9", headers=api.public), 403)
    assert c.delete("/v1/documents/api/note-9", headers=api.ingester).status_code == 204
    problem(c.get("/v1/documents/api/note-9", headers=api.public), 404)
    problem(c.delete("/v1/documents/api/note-9", headers=api.ingester), 404)


def test_document_acl(api: Api) -> None:
    c = api.client
    fin = c.get("/v1/documents/fin-1", headers=api.finance)
    assert fin.status_code == 200 and fin.get_json()["acl"] == ["finance"]
    problem(c.get("/v1/documents/fin-1", headers=api.public), 404)  # not "403": no leak
    problem(c.get("/v1/documents/no-such-doc", headers=api.finance), 404)
    problem(c.delete("/v1/documents/fin-1", headers=api.ingester), 404)
    secret = {"id": "api-secret", "title": "t", "text": "Nothing to see.", "acl": ["finance"]}
    problem(c.post("/v1/documents", json=secret, headers=api.ingester), 403)
    takeover = {"id": "fin-1", "title": "t", "text": "Replaced.", "acl": ["public"]}
    problem(c.post("/v1/documents", json=takeover, headers=api.ingester), 403)
    problem(c.post("/v1/documents", json=secret, headers=api.finance), 403)  # a reader


# -- retrieval, answers, entities --------------------------------------------------------


def test_retrieve_hides_what_the_key_may_not_read(api: Api) -> None:
    finance_chunks = {cid for cid, (_, doc) in chunk_texts(api).items() if doc == "fin-1"}
    resp = api.client.post("/v1/retrieve", json={"question": INVOICE, "k": 5},
                           headers=api.public)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["mode"] == "graph" and body["timings_ms"]["total"] >= 0
    assert isinstance(body["audit_id"], str)
    assert "fin-1" not in {ch["doc_id"] for ch in body["chunks"]}
    text = resp.get_data(as_text=True)
    assert "INV-4471 is payable" not in text and not any(cid in text for cid in finance_chunks)
    allowed = api.client.post("/v1/retrieve", json={"question": INVOICE, "k": 3},
                              headers=api.finance).get_json()
    assert {"fin-1", "vendor-1"} & {ch["doc_id"] for ch in allowed["chunks"]}


def test_query_hides_what_the_key_may_not_read(api: Api) -> None:
    resp = api.client.post("/v1/query", json={"question": INVOICE, "mode": "hybrid"},
                           headers=api.public)
    assert resp.status_code == 200
    body = resp.get_json()
    assert {"answer", "abstained", "citations", "guards", "paths", "audit_id"} <= set(body)
    assert "fin-1" not in {ch["doc_id"] for ch in body["chunks"]}
    assert all(ci["doc_id"] != "fin-1" for ci in body["citations"])
    assert "84,500" not in resp.get_data(as_text=True)
    assert "INV-4471 is payable" not in resp.get_data(as_text=True)
    texts = chunk_texts(api)
    for ci in body["citations"]:
        assert texts[ci["chunk_id"]][0][ci["char_start"]:ci["char_end"]] == ci["quote"]


def invoice_entity(api: Api) -> str:
    """The invoice's entity id (``e:inv-4471`` or ``e:invoice-inv-4471``, per the linker)."""
    records, _, _ = api.services.store._driver.execute_query(
        "MATCH (e:Entity) WHERE e.name CONTAINS 'INV-4471' RETURN e.id AS id ORDER BY id")
    return str(records[0]["id"])


def test_entity_neighbours_follow_the_acl(api: Api) -> None:
    invoice = invoice_entity(api)
    for entity_id in {"e:inv-4471", invoice}:
        problem(api.client.get(f"/v1/entities/{entity_id}", headers=api.public), 404)
    problem(api.client.get("/v1/entities/e:no-such-thing", headers=api.finance), 404)
    resp = api.client.get(f"/v1/entities/{invoice}", headers=api.finance)
    assert resp.status_code == 200
    entity = resp.get_json()
    assert entity["id"] == invoice and entity["mentions"] >= 1 and entity["neighbours"]
    texts = chunk_texts(api)
    for n in entity["neighbours"]:
        ev = n["evidence"]
        assert texts[ev["chunk_id"]][0][ev["char_start"]:ev["char_end"]] == ev["quote"]
        assert n["direction"] in ("in", "out") and n["entity"]["id"]
    # The supplier is public, but its finance-only relation is not shown to pat.
    supplier = next(n["entity"]["id"] for n in entity["neighbours"]
                    if "Tern" in n["entity"]["name"])
    public_view = api.client.get(f"/v1/entities/{supplier}", headers=api.public).get_json()
    for n in public_view["neighbours"]:
        assert texts[n["evidence"]["chunk_id"]][1] != "fin-1"


# -- audit, feedback, metrics ------------------------------------------------------------


def test_audit_and_feedback(api: Api) -> None:
    c = api.client
    asked = c.post("/v1/query", json={"question": "Who audits HTC?", "k": 3},
                   headers=api.public).get_json()
    audit_id = asked["audit_id"]
    mine = c.get(f"/v1/audit/{audit_id}", headers=api.public)
    assert mine.status_code == 200 and mine.get_json()["query"]["text"] == "Who audits HTC?"
    problem(c.get(f"/v1/audit/{audit_id}", headers=api.finance), 404)  # someone else's
    assert c.get(f"/v1/audit/{audit_id}", headers=api.admin).status_code == 200
    ttl = c.get(f"/v1/audit/{audit_id}?format=prov-ttl", headers=api.admin)
    assert ttl.status_code == 200 and ttl.mimetype == "text/turtle" and b"prov:" in ttl.data
    jsonld = c.get(f"/v1/audit/{audit_id}?format=prov-jsonld", headers=api.admin)
    assert jsonld.status_code == 200 and jsonld.mimetype == "application/ld+json"
    problem(c.get(f"/v1/audit/{audit_id}?format=rdf", headers=api.admin), 422)
    problem(c.get("/v1/audit/q:nope", headers=api.admin), 404)

    rated = c.post("/v1/feedback", json={"audit_id": audit_id, "rating": 4, "comment": "ok"},
                   headers=api.public)
    assert rated.status_code == 201 and rated.get_json()["rating"] == 4
    problem(c.post("/v1/feedback", json={"audit_id": audit_id, "rating": 2},
                   headers=api.finance), 404)
    problem(c.post("/v1/feedback", json={"audit_id": "q:nope", "rating": 2},
                   headers=api.public), 404)
    problem(c.post("/v1/feedback", json={"audit_id": audit_id, "rating": "4"},
                   headers=api.public), 422)


def test_metrics_count_requests_stages_and_guards(api: Api) -> None:
    api.client.post("/v1/query", json={"question": "Where is the Beacon archive hosted?"},
                    headers=api.public)
    text = api.client.get("/metrics").get_data(as_text=True)
    assert 'kgrag_http_requests_total{method="POST",route="/v1/query",status="200"}' in text
    assert 'kgrag_retrieval_stage_seconds_count{mode="graph",stage="expand"}' in text
    assert "kgrag_guard_verdicts_total{" in text


# -- auth and problems -------------------------------------------------------------------


def test_401_for_missing_bad_and_revoked_keys(api: Api) -> None:
    c, body = api.client, {"question": INVOICE}
    resp = problem(c.post("/v1/retrieve", json=body), 401)
    assert resp["type"].endswith("/unauthorized")
    bad = c.post("/v1/retrieve", json=body, headers=bearer("kg_0000000000000000_" + "x" * 43))
    problem(bad, 401)
    assert bad.headers["WWW-Authenticate"].startswith("Bearer")
    issued = create_key(api.services.store, principal="temp", roles=["admin"])
    assert c.get("/v1/documents/ops-1", headers=bearer(issued.key)).status_code == 200
    revoke_key(api.services.store, issued.key_id)
    problem(c.get("/v1/documents/ops-1", headers=bearer(issued.key)), 401)


def test_problem_json_for_every_client_error(api: Api, settings: Any) -> None:
    c, h = api.client, api.public
    problem(c.post("/v1/retrieve", data="{oops", content_type="application/json", headers=h), 400)
    wrong = problem(c.post("/v1/retrieve", json={"question": "q", "k": "many"}, headers=h), 422)
    assert wrong["errors"][0]["field"] == "k"
    extra = problem(c.post("/v1/query", json={"question": "q", "temperature": 2}, headers=h), 422)
    assert extra["errors"][0]["field"] == "temperature"
    problem(c.post("/v1/retrieve", json={"question": "   "}, headers=h), 400)
    problem(c.get("/v1/unknown", headers=h), 404)
    problem(c.get("/v1/retrieve", headers=h), 405)
    small = create_app(dataclasses.replace(settings, max_request_bytes=1000),
                       services=api.services).test_client()
    big = problem(small.post("/v1/documents", json={"title": "t", "text": "x" * 2000},
                             headers=api.admin), 413)
    assert big["type"].endswith("/payload-too-large")


def test_neo4j_down_is_503_with_retry_after(settings: Any) -> None:
    from service.wiring import Services

    down = Services.from_settings(dataclasses.replace(settings, neo4j_uri="bolt://127.0.0.1:9"))
    try:
        client = create_app(down.settings, services=down).test_client()
        resp = client.post("/v1/retrieve", json={"question": "q"},
                           headers=bearer("kg_0000000000000000_" + "x" * 43))
        body = problem(resp, 503)
        assert body["type"].endswith("/graph-unavailable") and resp.headers["Retry-After"]
        assert client.get("/healthz").status_code == 200  # liveness needs no graph
    finally:
        down.close()

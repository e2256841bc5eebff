"""The foundation against a real Neo4j: schema, readiness, admin commands."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from graph.schema import database_status, init_schema, reset_database
from service import create_app
from service.cli import main as cli
from service.wiring import Services
from tests.conftest import ROOT

pytestmark = pytest.mark.neo4j


def _cli_env(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"NEO4J_URI": settings.neo4j_uri, "NEO4J_USER": settings.neo4j_user,
            "NEO4J_PASSWORD": settings.neo4j_password}


def test_server_is_neo4j_5_26(graph_db) -> None:  # type: ignore[no-untyped-def]
    rows = graph_db.store.read("admin_components")
    kernel = next(r for r in rows if r["name"] == "Neo4j Kernel")
    assert kernel["version"].startswith("5.26")


def test_db_init_is_idempotent_and_indexes_are_online(graph_db) -> None:  # type: ignore[no-untyped-def]
    svc = graph_db
    first = init_schema(svc.store, space=svc.default_space(), ontology=svc.ontology)
    second = init_schema(svc.store, space=svc.default_space(), ontology=svc.ontology)
    shape = [(r["name"], r["type"], tuple(r["labels"] or ()), tuple(r["properties"] or ()))
             for r in first]
    assert shape == [(r["name"], r["type"], tuple(r["labels"] or ()),
                      tuple(r["properties"] or ())) for r in second]
    by_name = {r["name"]: r for r in second}
    names = svc.index_names()
    assert by_name[names.chunk_vector]["type"] == "VECTOR"
    assert by_name[names.entity_vector]["type"] == "VECTOR"
    assert by_name[names.chunk_fulltext]["type"] == "FULLTEXT"
    assert by_name[names.entity_fulltext]["type"] == "FULLTEXT"
    assert all(r["state"] == "ONLINE" for r in second)
    constraints = {r["name"] for r in svc.store.read("schema_show_constraints")}
    assert {"document_id", "chunk_id", "entity_id"} <= constraints


def test_ontology_is_mirrored(graph_db) -> None:  # type: ignore[no-untyped-def]
    status = database_status(graph_db.store)
    assert status["labels"].get("OntologyClass", 0) == len(graph_db.ontology.classes)
    assert status["relationships"].get("SUBCLASS_OF", 0) >= 1


def test_readyz_200_when_neo4j_runs(services) -> None:  # type: ignore[no-untyped-def]
    client = create_app(services.settings, services=services).test_client()
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "ready"
    assert client.get("/healthz").status_code == 200


def test_readyz_503_problem_json_when_neo4j_unreachable(settings) -> None:  # type: ignore[no-untyped-def]
    dead = dataclasses.replace(settings, neo4j_uri="bolt://127.0.0.1:9")  # nothing listens
    svc = Services.from_settings(dead)
    try:
        client = create_app(dead, services=svc).test_client()
        resp = client.get("/readyz")
        health = client.get("/healthz")
    finally:
        svc.close()
    assert resp.status_code == 503
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == 503 and body["type"].endswith("graph-unavailable")
    assert resp.headers["Retry-After"]
    assert health.status_code == 200  # liveness does not depend on Neo4j


@pytest.mark.slow
def test_readyz_follows_a_real_stop_and_start(services, neo4j_server) -> None:  # type: ignore[no-untyped-def]
    if neo4j_server.origin != "local":
        pytest.skip("stops the server: only done to the server the tests provisioned")
    client = create_app(services.settings, services=services).test_client()
    script = [sys.executable, str(ROOT / "scripts" / "neo4j-local")]
    instance = os.environ.get("KGRAG_TEST_INSTANCE", "test")
    subprocess.run([*script, "stop", "--instance", instance], check=True, capture_output=True)
    try:
        resp = client.get("/readyz")
        assert resp.status_code == 503
        assert resp.mimetype == "application/problem+json"
    finally:
        subprocess.run([*script, "start", "--instance", instance], check=True,
                       capture_output=True)
    assert client.get("/readyz").status_code == 200


def test_cli_db_status_and_reset_guard(graph_db, settings) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    result = runner.invoke(cli, ["db", "status", "--json"], env=_cli_env(settings))
    assert result.exit_code == 0, result.output
    assert "OntologyClass" in result.output
    refused = runner.invoke(cli, ["db", "reset"], env=_cli_env(settings))
    assert refused.exit_code == 2
    assert "--yes" in refused.output
    assert graph_db.store.read("admin_count_labels")  # nothing was deleted


def test_reset_deletes_a_hub_and_everything_in_small_transactions(graph_db) -> None:  # type: ignore[no-untyped-def]
    drv = graph_db.store._driver
    drv.execute_query("CREATE (h:Thing {id: 'hub'}) WITH h UNWIND range(1, 25) AS i "
                      "CREATE (h)-[:RELATED_TO]->(:Thing {id: 'leaf' + i})")
    before = drv.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"]
    assert reset_database(graph_db.store, batch=4) == before  # 7 rounds of relationships
    assert drv.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"] == 0


def test_cli_error_is_one_line(settings) -> None:  # type: ignore[no-untyped-def]
    env = {**_cli_env(settings), "NEO4J_URI": "bolt://127.0.0.1:9"}
    result = CliRunner().invoke(cli, ["db", "status"], env=env)
    assert result.exit_code == 1
    assert result.output.strip().startswith("kgrag: error: Neo4j is unreachable")
    assert "Traceback" not in result.output

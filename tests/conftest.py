"""Session-scoped real Neo4j, real models, and a clean graph per test.

Where the Neo4j comes from, in order:
1. ``NEO4J_URI`` (+ ``NEO4J_USER``/``NEO4J_PASSWORD``) if set;
2. testcontainers' ``neo4j:5.26-community`` if a Docker engine answers;
3. ``scripts/neo4j-local start --instance test`` (a separate instance on
   ports 17687/17474, so the tests never touch the demo's data; set
   ``KGRAG_TEST_INSTANCE`` (+ ``KGRAG_NEO4J_BOLT_PORT``/``KGRAG_NEO4J_HTTP_PORT``)
   to run two test sessions side by side).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass(frozen=True)
class Neo4jServer:
    uri: str
    user: str
    password: str
    origin: str  # "env" | "testcontainers" | "local"
    http_url: str = ""


def _docker_engine_answers() -> bool:
    if not os.path.exists("/var/run/docker.sock") and not os.environ.get("DOCKER_HOST"):
        return False
    try:
        import docker

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def _local_server() -> Neo4jServer:
    script = ROOT / "scripts" / "neo4j-local"
    instance = os.environ.get("KGRAG_TEST_INSTANCE", "test")
    proc = subprocess.run([sys.executable, str(script), "start", "--instance", instance],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.exit(f"could not start the local test Neo4j: {proc.stderr.strip()}", 2)
    env = subprocess.run([sys.executable, str(script), "env", "--instance", instance],
                         capture_output=True, text=True, check=True).stdout
    creds = dict(line.split("=", 1) for line in env.splitlines() if "=" in line)
    return Neo4jServer(creds["NEO4J_URI"], creds["NEO4J_USER"], creds["NEO4J_PASSWORD"],
                       "local", creds.get("NEO4J_HTTP_URL", ""))


@pytest.fixture(scope="session")
def neo4j_server() -> Iterator[Neo4jServer]:
    if os.environ.get("NEO4J_URI"):
        yield Neo4jServer(os.environ["NEO4J_URI"], os.environ.get("NEO4J_USER", "neo4j"),
                          os.environ.get("NEO4J_PASSWORD", ""), "env")
    elif _docker_engine_answers():
        from testcontainers.neo4j import Neo4jContainer

        with Neo4jContainer("neo4j:5.26-community") as container:
            yield Neo4jServer(container.get_connection_url(), "neo4j",
                              container.password, "testcontainers")
    else:
        yield _local_server()


@pytest.fixture(scope="session")
def settings(neo4j_server: Neo4jServer):  # type: ignore[no-untyped-def]
    from service.settings import Settings

    return Settings.from_env(
        neo4j_uri=neo4j_server.uri,
        neo4j_user=neo4j_server.user,
        neo4j_password=neo4j_server.password,
    )


@pytest.fixture(scope="session")
def services(settings):  # type: ignore[no-untyped-def]
    from graph.schema import init_schema
    from service.wiring import Services

    svc = Services.from_settings(settings)
    init_schema(svc.store, space=svc.default_space(), ontology=svc.ontology)
    yield svc
    svc.close()


def clean_graph(services):  # type: ignore[no-untyped-def]
    """Empty the graph; keep the schema, re-mirror the ontology and re-register the
    configured model's embedding space as the active one (what `db init` leaves)."""
    from graph.schema import reset_database
    from graph.spaces import bootstrap

    reset_database(services.store)
    classes, edges = services.ontology.neo4j_rows()
    services.store.write([("ingest_ontology_classes", {"rows": classes}),
                          ("ingest_ontology_subclass", {"rows": edges}),
                          ("graph_state_init", {})])
    bootstrap(services.store, services.default_space())
    return services


@pytest.fixture
def graph_db(services):  # type: ignore[no-untyped-def]
    """A clean graph (schema and ontology mirror kept) for one test."""
    return clean_graph(services)


@pytest.fixture
def corpus(graph_db):  # type: ignore[no-untyped-def]
    """A clean graph holding the fixture corpus (tests/fixtures/corpus)."""
    from graph.ingest.load import load_paths
    from graph.ingest.pipeline import Ports, ingest

    svc = graph_db
    report = ingest(load_paths([FIXTURES / "corpus"]),
                    Ports(svc.store, svc.extractor.get(), svc.embedder.get(), svc.ontology))
    assert report.failed == []
    return svc


def replace_settings(settings, **changes):  # type: ignore[no-untyped-def]
    return dataclasses.replace(settings, **changes)

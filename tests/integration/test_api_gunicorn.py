"""The API served by a real gunicorn process, then fuzzed with schemathesis.

gunicorn runs the same command line as ``kgrag serve`` on a free loopback port,
with the test Neo4j's credentials in its environment.  schemathesis generates
requests from ``/openapi.json`` (bounded, seeded) and checks that no response is
a 5xx and that every response, problem+json included, matches the spec.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.auth import create_key
from service.cli_service import gunicorn_argv
from tests.conftest import ROOT

pytestmark = [pytest.mark.neo4j, pytest.mark.models]

MAX_EXAMPLES = 15
SEED = 20250101
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance,
          content_type_conformance]


@dataclass(frozen=True)
class Server:
    url: str
    headers: dict[str, str]  # an admin key


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gunicorn exited with {proc.returncode}")
        try:
            if requests.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError("gunicorn did not become ready")


@pytest.fixture(scope="module")
def server(services: Any, settings: Any, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Server]:
    port = free_port()
    env = {**os.environ, "NEO4J_URI": settings.neo4j_uri, "NEO4J_USER": settings.neo4j_user,
           "NEO4J_PASSWORD": settings.neo4j_password, "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "KGRAG_LOG_LEVEL": "WARNING"}
    log = (tmp_path_factory.mktemp("gunicorn") / "server.log").open("wb")
    proc = subprocess.Popen(gunicorn_argv("127.0.0.1", port, 1, 1, 120), cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc)
        key = create_key(services.store, principal="fuzzer", roles=["admin"], groups=["finance"])
        yield Server(url, {"Authorization": f"Bearer {key.key}"})
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_served_by_gunicorn(server: Server) -> None:
    assert requests.get(f"{server.url}/healthz", timeout=5).json() == {"status": "ok"}
    spec = requests.get(f"{server.url}/openapi.json", timeout=5).json()
    assert spec["openapi"] == "3.1.0" and "/v1/retrieve" in spec["paths"]
    resp = requests.post(f"{server.url}/v1/retrieve", headers=server.headers, timeout=120,
                         json={"question": "Who operates the Lighthouse platform?", "k": 3})
    assert resp.status_code == 200, resp.text
    assert resp.headers["X-Request-ID"] and "chunks" in resp.json()
    denied = requests.post(f"{server.url}/v1/retrieve", json={"question": "q"}, timeout=5)
    assert denied.status_code == 401
    assert denied.headers["Content-Type"] == "application/problem+json"


def load_schema(server: Server) -> Any:
    config = schemathesis.Config.from_dict({
        "seed": SEED, "headers": server.headers,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    })
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json", config=config)
    # Readiness depends on the index build, not on the request; the fuzzer skips it.
    return schema.exclude(path="/readyz")


def fuzz_operation(operation: Any, server: Server, calls: list[tuple[str, int]]) -> None:
    """MAX_EXAMPLES seeded requests for one operation; raises on the first failed check."""

    @hypothesis.given(case=operation.as_strategy())
    @hypothesis.settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None,
                         database=None, phases=[Phase.explicit, Phase.generate],
                         suppress_health_check=list(HealthCheck))
    def fuzz(case: Any) -> None:
        resp = case.call_and_validate(base_url=server.url, headers=server.headers,
                                      checks=CHECKS, timeout=120)
        calls.append((operation.label, resp.status_code))

    fuzz()


def test_api_matches_its_spec(server: Server) -> None:
    """No 5xx, and every status, content type and body as the spec says, per operation.

    Driven through schemathesis' Hypothesis strategies rather than its pytest plugin
    (whose lazy fixture loader needs a pytest internal that pytest 9 removed).
    """
    failures: list[str] = []
    calls: list[tuple[str, int]] = []
    operations = [result.ok() for result in load_schema(server).get_all_operations()]
    assert len(operations) >= 9
    for operation in operations:
        try:
            fuzz_operation(operation, server, calls)
        except Exception as exc:  # report every operation's failure, not only the first
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    assert {label for label, _ in calls} == {op.label for op in operations}
    assert {("POST /v1/retrieve", 200), ("POST /v1/query", 200)} <= set(calls)

"""The main job: a demo of the whole service, end to end, over its REST API.

Schema -> demo corpus ingested -> two demo API keys (an analyst, and an
analyst with the ``finance`` group) -> the service started with gunicorn on a
free loopback port -> example questions through ``POST /v1/query`` -> answers
with citations, their provenance and the Neo4j Browser query that shows it ->
service stopped, demo keys revoked.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from importlib.resources import files
from typing import Any

from graph.ingest.load import load_paths
from graph.ingest.pipeline import ingest
from graph.schema import database_status, init_schema
from ontology.errors import KgragError
from service.auth import create_key, revoke_key
from service.settings import Settings
from service.wiring import Services, ingest_options, ingest_ports

QUESTIONS = (
    ("analyst", "Who is the Chief Information Security Officer of Northwind Mutual Insurance?"),
    ("analyst", "How often are privileged accounts reviewed under ACP-POL-01?"),
    ("analyst", "What is the 2025 annual fee payable to Nimbus Cloud Services?"),
    ("finance", "What is the 2025 annual fee payable to Nimbus Cloud Services?"),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def call(base: str, path: str, key: str | None = None, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method="POST" if data else "GET")
    req.add_header("Content-Type", "application/json")
    if key:
        req.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise KgragError("the service exited during start-up (see its log above)")
        try:
            if call(base, "/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise KgragError(f"the service was not ready within {timeout_s:.0f} s")


def describe(path: dict[str, Any]) -> str:
    """One line per provenance path: how the graph reached the chunk."""
    parts = []
    for step in path["steps"]:
        if step["kind"] == "query_entity":
            parts.append(f"question names '{step['name']}'")
        elif step["kind"] == "relation":
            quote = " ".join(step["evidence"]["quote"].split())
            parts.append(f"{step['predicate']} ('{quote[:60]}')")
        elif step["kind"] == "search":
            parts.append(f"{step['method']} match {step['score']:.2f}")
    return " -> ".join(parts) or "graph"


def run_demo(echo: Callable[[str], None]) -> None:
    settings = Settings.from_env()
    svc = Services.from_settings(settings)
    issued = []
    try:
        svc.store.verify()
        init_schema(svc.store, space=svc.default_space(), ontology=svc.ontology)
        corpus = str(files("service") / "demo" / "corpus")
        report = ingest(load_paths([corpus]), ingest_ports(svc), ingest_options(svc))
        echo(f"demo corpus: {report.ingested} ingested, {report.unchanged} unchanged, "
             f"{len(report.failed)} failed ({report.chunks} chunks, {report.entities} entities, "
             f"{report.relations} relations written)")
        status = database_status(svc.store)
        echo("graph: " + ", ".join(f"{k}={v}" for k, v in status["labels"].items()))
        issued = [create_key(svc.store, principal="demo-analyst", roles=["reader"]),
                  create_key(svc.store, principal="demo-finance", roles=["reader"],
                             groups=["finance"])]
        keys = {"analyst": issued[0].key, "finance": issued[1].key}
        _serve_and_ask(settings, keys, echo)
    finally:
        for k in issued:
            revoke_key(svc.store, k.key_id)
        svc.close()
    http = os.environ.get("NEO4J_HTTP_URL", "http://127.0.0.1:7474")
    echo(f"\nNeo4j Browser: {http}/browser/ (user neo4j; password: scripts/neo4j-local env)")
    echo("  provenance of an answer:  :param audit_id => '<audit id above>'  then paste "
         "cypher/browser_answer_provenance.cypher (see docs/browser-guide.md)")
    echo("Run the service yourself: .venv/bin/kgrag serve  (keys: .venv/bin/kgrag keys create)")


def _serve_and_ask(settings: Settings, keys: dict[str, str], echo: Callable[[str], None]) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, NEO4J_URI=settings.neo4j_uri, NEO4J_USER=settings.neo4j_user,
               NEO4J_PASSWORD=settings.neo4j_password)
    kgrag = os.path.join(os.path.dirname(sys.executable), "kgrag")
    cmd = [kgrag, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    echo(f"\nstarting the service: kgrag serve --port {port}")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_ready(base, proc)
        echo(f"service ready at {base} (OpenAPI {base}/openapi.json, docs {base}/docs)")
        for who, question in QUESTIONS:
            status, body = call(base, "/v1/query", keys[who], {"question": question, "k": 5})
            echo(f"\n[{who}] Q: {question}")
            if status != 200:
                echo(f"  error {status}: {body.get('detail') if body else ''}")
                continue
            echo(f"  A: {body['answer']}")
            if body["abstained"]:
                echo(f"  (abstained: {body['reason']})")
            for c in body["citations"]:
                echo(f"    [{c['source']}] {c['doc_id']} chars {c['char_start']}-"
                     f"{c['char_end']}: \"{c['quote']}\"")
            echo(f"  confidence {body['confidence']:.2f}, generator {body['generator']}, "
                 f"audit id {body.get('audit_id')}")
            for chunk in body["chunks"][:3]:  # the evidence this principal may see
                path = next((p for p in body["paths"] if p["chunk_id"] == chunk["id"]), None)
                echo(f"    evidence {chunk['doc_id']} v{chunk['version']}"
                     + (f" via {describe(path)}" if path else ""))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.returncode not in (0, -15) and err:
            echo(err[-2000:])

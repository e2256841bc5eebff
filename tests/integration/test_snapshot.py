"""The in-process graph snapshot answers exactly as Neo4j does, and only while current."""

from __future__ import annotations

import json
from typing import Any

import pytest

from graph.ingest.link import VALUE_TYPES
from graph.ingest.write import delete_document
from graph.retrieve.analyse import lucene_terms
from graph.retrieve.pipeline import RetrievePorts, retrieve
from graph.retrieve.reader import CypherGraph
from graph.retrieve.snapshot import SnapshotCache, load_snapshot
from graph.retrieve.types import RetrieveParams
from graph.schema import reset_database
from tests.conftest import FIXTURES
from tests.helpers import cypher

pytestmark = [pytest.mark.neo4j, pytest.mark.models]

GROUPS = (["public"], ["public", "finance"], ["finance"], ["nobody"])
SKIP = sorted(VALUE_TYPES)


def _types(svc: Any) -> list[str]:
    return sorted(svc.ontology.entity_relation_types)


def _rounded(rows: list[list[Any]]) -> list[Any]:
    """entity_chunks rows with similarities to 6 places (Neo4j computes them in float32
    too, but sums in another order), in entity order."""
    return sorted([e, name, [[c, s, t, round(a, 6), round(b, 6)] for c, s, t, a, b in chunks]]
                  for e, name, chunks in rows)


def test_every_answer_of_the_snapshot_is_the_cypher_answer(corpus) -> None:  # type: ignore[no-untyped-def]
    svc = corpus
    prop = svc.active_space().vector_property
    snapshot = load_snapshot(svc.store, prop, _types(svc))
    assert snapshot is not None
    neo4j = CypherGraph(svc.store, prop)
    entities = [r["id"] for r in cypher(svc, "MATCH (e:Entity) RETURN e.id AS id ORDER BY id")]
    chunks = [r["id"] for r in cypher(svc, "MATCH (c:Chunk) RETURN c.id AS id ORDER BY id")]
    keys = sorted({k for r in cypher(svc, "MATCH (e:Entity) RETURN e.keys AS keys")
                   for k in r["keys"] or ()})
    question, residual = svc.embedder.get().embed(
        ["Which directive applies to the operator of the Lighthouse platform?",
         "Which directive applies to the operator of the platform?"])
    assert snapshot.size[0] == len(chunks) and snapshot.size[1] == len(entities)
    for groups in GROUPS:
        assert snapshot.chunk_entities(chunks, groups, SKIP, 31) == \
            neo4j.chunk_entities(chunks, groups, SKIP, 31)
        for per_node, budget in ((25, 400), (1, 400), (25, 7)):
            assert snapshot.neighbours(entities, _types(svc), groups, SKIP, budget=budget,
                                       per_node=per_node, df_cap=31) == \
                neo4j.neighbours(entities, _types(svc), groups, SKIP, budget=budget,
                                 per_node=per_node, df_cap=31)
        for per_entity in (20, 1):
            assert _rounded(snapshot.entity_chunks(entities, question, residual, groups,
                                                   per_entity)) == \
                _rounded(neo4j.entity_chunks(entities, question, residual, groups, per_entity))
        rows = [{"key": k, "lucene": lucene_terms(k, operator="AND", drop=frozenset({"and"}))}
                for k in keys]
        rows = [r for r in rows if r["lucene"]]
        assert snapshot.entities_by_keys([r["key"] for r in rows], groups) == \
            svc.store.read("retrieve_entities_by_keys", {
                "rows": rows, "index": svc.index_names().entity_fulltext, "groups": groups})
    # the finance document's chunks and facts exist for finance only
    public = snapshot.neighbours(entities, _types(svc), ["public"], SKIP, budget=400,
                                 per_node=25, df_cap=31)
    finance = snapshot.neighbours(entities, _types(svc), ["finance"], SKIP, budget=400,
                                  per_node=25, df_cap=31)
    fin_chunks = {r["id"] for r in cypher(
        svc, "MATCH (c:Chunk {doc_id: 'fin-1'}) RETURN c.id AS id")}
    assert fin_chunks and not {r[5] for r in public} & fin_chunks
    assert {r[5] for r in finance} <= fin_chunks and finance


def test_retrieval_over_the_snapshot_is_retrieval_over_neo4j(corpus) -> None:  # type: ignore[no-untyped-def]
    svc = corpus
    space = svc.active_space()
    cache = SnapshotCache(svc.store, _types(svc), max_chunks=10_000)
    assert cache.refresh(space.vector_property) is not None
    ports = RetrievePorts(svc.store, svc.extractor.get(), svc.embedder.get(), svc.ontology,
                          space.names)
    snapshot_ports = RetrievePorts(svc.store, svc.extractor.get(), svc.embedder.get(),
                                   svc.ontology, space.names, snapshots=cache)
    questions = [json.loads(line)["question"]
                 for line in (FIXTURES / "questions.jsonl").read_text().splitlines() if line]
    for question in questions:
        for groups in (("public",), ("public", "finance")):
            params = RetrieveParams(k=5, groups=groups)
            plain, fast = retrieve(question, ports, params), retrieve(question, snapshot_ports,
                                                                      params)
            assert [(c.id, round(c.score, 9)) for c in fast.chunks] == \
                [(c.id, round(c.score, 9)) for c in plain.chunks], question
            assert [p.as_dict() for p in fast.paths] == [p.as_dict() for p in plain.paths]


def test_a_write_retires_the_snapshot(corpus) -> None:  # type: ignore[no-untyped-def]
    svc = corpus
    prop = svc.active_space().vector_property
    cache = SnapshotCache(svc.store, _types(svc), max_chunks=10_000)
    first = cache.refresh(prop)
    assert first is not None and cache.current(prop) is first
    reg = {r["id"] for r in cypher(svc, "MATCH (c:Chunk {doc_id: 'reg-1'}) RETURN c.id AS id")}
    assert reg <= set(first.chunk_ids)
    assert delete_document(svc.store, "reg-1")
    assert cache.current(prop) is None  # stale: the caller reads Neo4j meanwhile
    second = cache.refresh(prop)
    assert second is not None and second.token != first.token
    assert not reg & set(second.chunk_ids)
    # a graph over the size limit is never copied
    assert SnapshotCache(svc.store, _types(svc), max_chunks=1).refresh(prop) is None
    # nor one that keeps no token (a graph from before snapshots, until `db init`)
    reset_database(svc.store)
    assert load_snapshot(svc.store, prop, _types(svc)) is None
    assert cache.current(prop) is None

"""Retrieval against a real Neo4j, real spaCy and real embeddings."""

from __future__ import annotations

from typing import Any

import pytest

from graph.retrieve.pipeline import RetrievePorts, retrieve
from graph.retrieve.seed import literal_chunks
from graph.retrieve.types import Mode, Retrieval, RetrieveParams
from ontology.errors import InvalidInputError

pytestmark = [pytest.mark.neo4j, pytest.mark.models]

LIGHTHOUSE = "Which directive applies to the operator of the Lighthouse platform?"
INVOICE = "In which city is the supplier paid under invoice INV-4471 located?"


def ask(svc: Any, question: str, **kw: Any) -> Retrieval:
    ports = RetrievePorts(svc.store, svc.extractor.get(), svc.embedder.get(), svc.ontology,
                          svc.index_names())
    return retrieve(question, ports, RetrieveParams(**kw))


def chunk_texts(svc: Any) -> dict[str, tuple[str, str]]:
    records, _, _ = svc.store._driver.execute_query(
        "MATCH (c:Chunk) RETURN c.id AS id, c.text AS text, c.doc_id AS doc")
    return {r["id"]: (r["text"], r["doc"]) for r in records}


def test_two_hop_answer_found_by_graph_and_missed_by_vector(corpus) -> None:  # type: ignore[no-untyped-def]
    vector = ask(corpus, LIGHTHOUSE, mode=Mode.VECTOR, k=2)
    graph = ask(corpus, LIGHTHOUSE, mode=Mode.GRAPH, k=2)
    assert "reg-1" not in [c.doc_id for c in vector.chunks]
    assert "reg-1" in [c.doc_id for c in graph.chunks]
    # reg-1 never names Lighthouse: the graph found it through the operator.
    reg = next(c for c in graph.chunks if c.doc_id == "reg-1")
    assert "Lighthouse" not in reg.text
    path = next(p for p in graph.paths if p.chunk_id == reg.id and p.hops >= 1)
    kinds = [s.kind for s in path.steps]
    assert kinds[0] == "query_entity" and kinds[-2:] == ["chunk", "document"]
    relation = next(s for s in path.steps if s.kind == "relation")
    assert relation.predicate == "OPERATES"  # type: ignore[union-attr]


def test_every_quote_is_the_stored_span(corpus) -> None:  # type: ignore[no-untyped-def]
    texts = chunk_texts(corpus)
    for question in (LIGHTHOUSE, "Which firm audits the operator of the Lighthouse platform?"):
        result = ask(corpus, question, mode=Mode.GRAPH, k=5)
        assert result.paths
        for path in result.paths:
            for step in path.as_dict()["steps"]:
                if step["kind"] == "chunk":
                    text = texts[step["chunk_id"]][0]
                    assert text[step["char_start"]:step["char_end"]] == step["quote"]
                if step["kind"] == "relation":
                    ev = step["evidence"]
                    text = texts[ev["chunk_id"]][0]
                    assert text[ev["char_start"]:ev["char_end"]] == ev["quote"]
                if step["kind"] == "document":
                    assert len(step["sha256"]) == 64 and step["version"] == 1
        for chunk in result.chunks:  # every chunk has at least one path
            assert any(p.chunk_id == chunk.id for p in result.paths)


def test_vector_only_chunk_has_a_search_path_with_its_score(corpus) -> None:  # type: ignore[no-untyped-def]
    result = ask(corpus, LIGHTHOUSE, mode=Mode.VECTOR, k=3)
    for chunk in result.chunks:
        paths = [p for p in result.paths if p.chunk_id == chunk.id]
        assert len(paths) == 1
        search = paths[0].steps[0]
        assert search.kind == "search" and search.method == "vector"  # type: ignore[union-attr]
        assert 0 < search.score <= 1  # type: ignore[union-attr]


def test_acl_restricted_bridge_is_never_used_or_shown(corpus) -> None:  # type: ignore[no-untyped-def]
    texts = chunk_texts(corpus)
    finance_chunks = {cid for cid, (_, doc) in texts.items() if doc == "fin-1"}
    allowed = ask(corpus, INVOICE, mode=Mode.GRAPH, k=3, groups=("public", "finance"))
    assert "vendor-1" in [c.doc_id for c in allowed.chunks]
    bridged = [p for p in allowed.paths if p.hops and any(
        s.kind == "relation" and s.evidence.chunk_id in finance_chunks  # type: ignore[union-attr]
        for s in p.steps)]
    assert bridged, "with finance, the answer is reached through the finance bridge"

    public = ask(corpus, INVOICE, mode=Mode.GRAPH, k=5, groups=("public",))
    assert "fin-1" not in [c.doc_id for c in public.chunks]
    assert all("4471" not in e.name for e in public.entities)  # the bridge is not linkable
    for path in public.paths:
        for step in path.as_dict()["steps"]:
            assert step.get("chunk_id") not in finance_chunks
            assert step.get("evidence", {}).get("chunk_id") not in finance_chunks
            assert "INV-4471" not in step.get("quote", "")
    for mode in (Mode.VECTOR, Mode.FULLTEXT, Mode.HYBRID):
        result = ask(corpus, INVOICE, mode=mode, k=7, groups=("public",))
        assert "fin-1" not in [c.doc_id for c in result.chunks]


def test_same_query_twice_gives_identical_results(corpus) -> None:  # type: ignore[no-untyped-def]
    for mode in Mode:
        a = ask(corpus, LIGHTHOUSE, mode=mode, k=5).as_dict()
        b = ask(corpus, LIGHTHOUSE, mode=mode, k=5).as_dict()
        a.pop("timings_ms")
        b.pop("timings_ms")
        assert a == b


def test_modes_use_their_lists(corpus) -> None:  # type: ignore[no-untyped-def]
    assert {s for c in ask(corpus, LIGHTHOUSE, mode=Mode.VECTOR).chunks for s in c.found_by} \
        == {"vector"}
    assert {s for c in ask(corpus, LIGHTHOUSE, mode=Mode.FULLTEXT).chunks
            for s in c.found_by} == {"fulltext"}
    hybrid = {s for c in ask(corpus, LIGHTHOUSE, mode=Mode.HYBRID).chunks for s in c.found_by}
    assert hybrid <= {"vector", "fulltext"}


def test_bad_questions_are_clear_errors(corpus) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInputError, match="empty"):
        ask(corpus, "   ")
    with pytest.raises(InvalidInputError):
        ask(corpus, LIGHTHOUSE, k=0)
    # Lucene syntax in a question is just words.
    result = ask(corpus, 'Lighthouse AND "platform" OR (operator)~ [x TO y] \\', mode=Mode.FULLTEXT)
    assert result.chunks


def test_a_literal_anchors_only_chunks_the_principal_may_read(corpus) -> None:  # type: ignore[no-untyped-def]
    """"2025" is stated only in the finance document: it anchors nothing for a public
    principal (nor does its presence there count), and its stating sentences for
    finance; "400" (the operations document) makes that chunk the first hop."""
    names = corpus.index_names()
    assert literal_chunks(corpus.store, names, ["2025"], ["public"], 30) == {}
    found = literal_chunks(corpus.store, names, ["2025"], ["public", "finance"], 30)
    assert len(found) == 1
    (chunk_id, spans), = found.items()
    text, doc = chunk_texts(corpus)[chunk_id]
    assert doc == "fin-1" and len(spans) == 2
    assert all("2025" in text[s:e] and text[s:e].endswith(".") for s, e in spans)
    assert literal_chunks(corpus.store, names, ["2025"], ["public", "finance"], 0) == {}
    result = ask(corpus, "Which platform settles trades for 400 institutional clients?",
                 mode=Mode.GRAPH, k=3, groups=("public",))
    assert result.chunks[0].doc_id == "ops-1" and "direct" in result.chunks[0].found_by
    public = ask(corpus, "What falls due in 2025?", mode=Mode.GRAPH, groups=("public",))
    assert "fin-1" not in {c.doc_id for c in public.chunks}

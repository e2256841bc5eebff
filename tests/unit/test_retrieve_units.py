"""Retrieval stages without Neo4j: fusion, interleaving, overlaps, PageRank, spans,
and the expansion over a fake store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from graph.retrieve.analyse import (
    lucene_terms,
    question_literals,
    relation_text,
    residual_question,
)
from graph.retrieve.assemble import chunks_to_fetch, sentence_span
from graph.retrieve.expand import expand, personalized_pagerank, restart_vector
from graph.retrieve.rank import drop_overlaps, hop_interleave, rrf
from graph.retrieve.reader import CypherGraph
from graph.retrieve.types import Edge, Hit, QuestionEntity, RankedChunk, RetrieveParams, Subgraph


def test_rrf_sums_reciprocal_ranks_with_weights_and_breaks_ties_by_id() -> None:
    lists = {"vector": (Hit("c:a", 0.9), Hit("c:b", 0.8)),
             "graph": (Hit("c:b", 0.1), Hit("c:c", 0.05))}
    ranked = rrf(lists, 60, {"graph": 2.0})
    assert [r.chunk_id for r in ranked] == ["c:b", "c:c", "c:a"]
    assert ranked[0].score == 1 / 62 + 2 / 61
    assert ranked[0].sources == ("graph", "vector")
    tie = rrf({"x": (Hit("c:z", 1),), "y": (Hit("c:y", 1),)}, 60)
    assert [r.chunk_id for r in tie] == ["c:y", "c:z"]


def test_hop_interleave_takes_direct_bridge_fused_in_turn_and_skips_duplicates() -> None:
    primary = [RankedChunk(c, 1.0, i, ("vector",)) for i, c in enumerate(["c:1", "c:2", "c:3"], 1)]
    direct = (Hit("c:3", 0.7), Hit("c:1", 0.6))
    bridge = (Hit("c:2", 0.9), Hit("c:9", 0.8))
    out = hop_interleave(primary, direct, bridge, 60)
    assert [r.chunk_id for r in out] == ["c:3", "c:2", "c:1", "c:9"]
    assert out[0].sources == ("direct", "vector")
    assert out[1].sources == ("bridge", "vector")
    assert out[2].sources == ("vector",)  # c:1 came by its fused turn
    assert out[3].sources == ("bridge",)
    assert [r.rank for r in out] == [1, 2, 3, 4]
    assert [r.chunk_id for r in hop_interleave(primary, (), (), 60)] == ["c:1", "c:2", "c:3"]


def test_drop_overlaps_keeps_sentence_overlap_but_not_near_duplicates() -> None:
    ranked = [RankedChunk(c, 1.0, i, ()) for i, c in enumerate(["c:1", "c:2", "c:3", "c:x"], 1)]
    spans = {"c:1": ("d", 0, 800), "c:2": ("d", 700, 1500),  # one shared sentence: kept
             "c:3": ("d", 100, 780)}  # inside c:1: dropped; c:x unreadable: dropped
    assert [r.chunk_id for r in drop_overlaps(ranked, spans)] == ["c:1", "c:2"]


def test_restart_weights_question_entities_by_specificity() -> None:
    q = [QuestionEntity("ISO", "e:iso", "ISO", "Organization", "alias", 1.0, 100),
         QuestionEntity("Glarus", "e:glarus", "Glarus", "Location", "alias", 1.0, 1)]
    restart = restart_vector(q, [Hit("c:s", 0.5)], entity_mass=0.8)
    assert abs(sum(restart.values()) - 1.0) < 1e-9
    assert restart["e:glarus"] > 50 * restart["e:iso"]
    assert abs(restart["c:s"] - 0.2) < 1e-9
    only_seeds = restart_vector([], [Hit("c:s", 0.5), Hit("c:t", 0.5)], entity_mass=0.8)
    assert only_seeds == {"c:s": 0.5, "c:t": 0.5}


def test_pagerank_prefers_chunks_near_the_question_and_is_repeatable() -> None:
    edges = [Edge("e:a", "e:b", "OWNS", True, "own", "c:1", 0, 10, 0.9)]
    mentions = [("e:a", "c:1", 0, 3), ("e:b", "c:2", 0, 3), ("e:z", "c:3", 0, 3)]
    runs = [personalized_pagerank(edges, mentions, (), {"e:a": 1.0}, 0.5) for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]
    scores = runs[0]
    assert scores["c:1"] > scores["c:2"] > scores.get("c:3", 0.0)
    assert scores.get("c:3", 0.0) == 0.0  # unreachable from the question


def test_sentence_span_is_exact_and_trimmed() -> None:
    text = "First one. Harbor Trust is subject to Solvency II.  Last one."
    start = text.index("Solvency")
    s, e = sentence_span(text, start, start + 11)
    assert text[s:e] == "Harbor Trust is subject to Solvency II."


def test_lucene_terms_never_pass_syntax_through() -> None:
    q = lucene_terms('Who owns "Acme" AND (Beta)~2 OR x:y \\ [a TO b]?')
    assert q == "owns OR acme OR beta OR 2 OR x OR y OR b"  # "and", "or", "to", "a" dropped
    assert lucene_terms("the of and") == ""


class FakeStore:
    """Canned single-row answers of the expansion's queries, recording each read."""

    def __init__(self) -> None:
        self.reads: list[tuple[str, dict[str, Any]]] = []

    def read(self, query: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        p = dict(params or {})
        self.reads.append((query, p))
        if query == "retrieve_chunk_entities":
            rows = [m for m in CHUNK_MENTIONS if m["chunk_id"] in p["chunk_ids"]]
            return [{"mentions": rows}]
        if query == "retrieve_neighbours":
            return [{"edges": [e for e in EDGES if e[0] in p["frontier"]]}]
        if query == "retrieve_entity_chunks":
            # Deliberately not in the order asked for: expand must not depend on it.
            return [{"entities": [[r["entity_id"], r["name"], r["chunks"]]
                                  for r in reversed(ENTITY_CHUNKS)
                                  if r["entity_id"] in p["entity_ids"]]}]
        raise AssertionError(query)

    def write(self, steps: Sequence[tuple[str, Mapping[str, Any]]]) -> list[list[dict[str, Any]]]:
        raise AssertionError("retrieval never writes")


CHUNK_MENTIONS = [
    {"chunk_id": "c:seed", "entity_id": "e:light", "name": "Lighthouse", "char_start": 0,
     "char_end": 10, "df": 2},
    {"chunk_id": "c:seed", "entity_id": "e:op", "name": "Operator", "char_start": 20,
     "char_end": 28, "df": 3},
]
EDGES = [["e:light", "e:op", "OPERATES", False, "operate", "c:seed", 0, 30, 0.9, 3],
         ["e:op", "e:dir", "SUBJECT_TO", True, None, "c:reg", 5, 40, None, 1]]
ENTITY_CHUNKS = [
    {"entity_id": "e:light", "name": "Lighthouse", "chunks": [["c:seed", 0, 10, 0.9, 0.2]]},
    {"entity_id": "e:op", "name": "Operator",
     "chunks": [["c:seed", 20, 28, 0.9, 0.2], ["c:reg", 0, 8, 0.7, 0.6]]},
    {"entity_id": "e:dir", "name": "Directive", "chunks": [["c:reg", 30, 39, 0.7, 0.6]]},
]


def test_expand_reads_single_row_answers_and_keeps_the_asked_order() -> None:
    store = FakeStore()
    q = [QuestionEntity("Lighthouse", "e:light", "Lighthouse", "Product", "alias", 1.0, 2)]
    calls: list[int] = []

    def later() -> np.ndarray:  # the relation embedding, still being computed
        calls.append(1)
        return np.array([0.0, 1.0], dtype=np.float32)

    sub = expand(CypherGraph(store, "embedding_x"), question_entities=q,
                 seeds=(Hit("c:seed", 0.8),), embedding=np.array([1.0, 0.0], dtype=np.float32),
                 relation_types=["OPERATES", "SUBJECT_TO"], params=RetrieveParams(),
                 relation_embedding=later)
    assert [m[:2] for m in sub.mentions] == [
        ("e:dir", "c:reg"), ("e:light", "c:seed"), ("e:op", "c:seed"), ("e:op", "c:reg")]
    assert [(e.src, e.dst, e.lemma, e.confidence) for e in sub.edges] == [
        ("e:light", "e:op", "operate", 0.9), ("e:op", "e:dir", "", 0.5)]
    assert sub.names == {"e:light": "Lighthouse", "e:op": "Operator", "e:dir": "Directive"}
    # c:reg is one bridge (the operator) away and does not name the question's entity:
    # scored by its similarity to the question without the name (0.6), not to it (0.7).
    assert sub.bridge_scores == {"c:reg": 0.6 ** 3}
    assert sub.chunk_scores["c:seed"] > sub.chunk_scores["c:reg"] > 0
    asked = [p for name, p in store.reads if name == "retrieve_entity_chunks"]
    # the start entities' chunks are read beside the walk, then the walked-to ones
    assert sorted(map(tuple, (p["entity_ids"] for p in asked))) == [
        ("e:dir",), ("e:light", "e:op")]
    assert all(p["relation_embedding"] == [0.0, 1.0] for p in asked) and calls
    assert "retrieve_chunk_similarity" not in {name for name, _ in store.reads}
    assert set(sub.direct_scores) == {"c:seed"}  # the chunk naming the question's entity


def test_a_generic_question_entity_is_no_first_hop() -> None:
    """An entity in more chunks than specific_df (say "ISO") starts no bridge: with
    nothing specific named, the best seeds are the first hop instead."""
    store = FakeStore()
    q = [QuestionEntity("Lighthouse", "e:light", "Lighthouse", "Product", "alias", 1.0, 500)]
    sub = expand(CypherGraph(store, "embedding_x"), question_entities=q,
                 seeds=(Hit("c:reg", 0.8),), embedding=np.array([1.0, 0.0], dtype=np.float32),
                 relation_types=["OPERATES", "SUBJECT_TO"], params=RetrieveParams())
    assert sub.direct_scores == {"c:reg": 1.0}
    # e:light's relation neighbour (the operator) is no bridge now: c:reg, one bridge
    # away when Lighthouse was specific, is not a bridge candidate.
    assert sub.bridge_scores == {}


def test_the_relation_text_drops_the_linked_names() -> None:
    ents = [QuestionEntity("Lighthouse", "e:l", "Lighthouse", "Product", "alias")]
    question = "Which directive applies to the operator of the Lighthouse platform?"
    assert relation_text(question, ents) == \
        "Which directive applies to the operator of the platform?"
    assert relation_text(question, []) is None  # nothing linked: the question itself
    assert residual_question("Lighthouse", ["Lighthouse"]) == ""


def test_question_literals_are_numbers_of_three_digits_or_more() -> None:
    assert question_literals("Which country issues the currency with numeric code 949?") == \
        ("949",)
    assert question_literals("Code 008. Not 12, 3.141, 1,000, 2024-01-01 or INV-4471; 949 "
                             "twice: 949") == ("008", "949")


def test_an_anchor_is_a_direct_chunk_and_its_stating_sentence_picks_the_bridge() -> None:
    """A chunk holding a literal of the question ("949") is a first hop even when no
    specific entity is named; what the sentence stating the literal names is the
    better bridge (weight 0.5) than what the rest of the chunk names (0.25)."""
    store = FakeStore()
    q = [QuestionEntity("ISO", "e:light", "Lighthouse", "Product", "alias", 1.0, 500)]
    params = RetrieveParams()
    anchored = expand(CypherGraph(store, "embedding_x"), question_entities=q,
                      seeds=(Hit("c:seed", 0.8),),
                      embedding=np.array([1.0, 0.0], dtype=np.float32),
                      relation_types=["OPERATES", "SUBJECT_TO"], params=params,
                      anchors={"c:seed": ((0, 15),)})  # states e:light (0-10), not e:op
    assert set(anchored.direct_scores) == {"c:seed"} and anchored.anchors == ("c:seed",)
    assert anchored.bridge_scores == {"c:reg": 0.6 ** 3 * 0.25}  # via e:op, not stated
    stating_op = expand(CypherGraph(FakeStore(), "embedding_x"), question_entities=q,
                        seeds=(Hit("c:seed", 0.8),),
                        embedding=np.array([1.0, 0.0], dtype=np.float32),
                        relation_types=["OPERATES", "SUBJECT_TO"], params=params,
                        anchors={"c:seed": ((18, 30),)})
    assert stating_op.bridge_scores == {"c:reg": 0.6 ** 3 * 0.5}


def test_only_the_evidence_the_candidates_paths_quote_is_fetched() -> None:
    """Question entity a -> b (evidence c:ab) -> c (evidence c:bc); another relation
    a -> x (evidence c:ax) leads to no candidate.  The candidate c:c (naming c) is
    reached through both hops; c:ax is no one's evidence worth reading, unless a seed
    that is also evidence (the walks may start there)."""
    edges = (Edge("a", "b", "OWNS", True, "own", "c:ab", 0, 5, 0.9),
             Edge("b", "c", "OWNS", True, "own", "c:bc", 0, 5, 0.9),
             Edge("a", "x", "OWNS", True, "own", "c:ax", 0, 5, 0.9))
    sub = Subgraph(edges=edges, mentions=(("c", "c:c", 0, 1), ("x", "c:seed", 0, 1)),
                   chunk_scores={})
    q = [QuestionEntity("A", "a", "A", "Organization", "alias", 1.0, 1)]
    need = chunks_to_fetch(["c:c"], q, {"vector": (Hit("c:other", 0.5),)}, sub, best=["c:top"])
    assert need == ["c:ab", "c:bc", "c:c", "c:top"]
    seeded = chunks_to_fetch(["c:c"], q, {"fulltext": (Hit("c:ax", 0.5),)}, sub)
    assert seeded == ["c:ab", "c:ax", "c:bc", "c:c"]

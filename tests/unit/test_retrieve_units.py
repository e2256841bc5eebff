"""Retrieval stages without Neo4j: fusion, interleaving, overlaps, PageRank, spans."""

from __future__ import annotations

from graph.retrieve.analyse import lucene_terms
from graph.retrieve.assemble import sentence_span
from graph.retrieve.expand import personalized_pagerank, restart_vector
from graph.retrieve.rank import drop_overlaps, interleave, rrf
from graph.retrieve.types import Edge, Hit, QuestionEntity, RankedChunk


def test_rrf_sums_reciprocal_ranks_with_weights_and_breaks_ties_by_id() -> None:
    lists = {"vector": (Hit("c:a", 0.9), Hit("c:b", 0.8)),
             "graph": (Hit("c:b", 0.1), Hit("c:c", 0.05))}
    ranked = rrf(lists, 60, {"graph": 2.0})
    assert [r.chunk_id for r in ranked] == ["c:b", "c:c", "c:a"]
    assert ranked[0].score == 1 / 62 + 2 / 61
    assert ranked[0].sources == ("graph", "vector")
    tie = rrf({"x": (Hit("c:z", 1),), "y": (Hit("c:y", 1),)}, 60)
    assert [r.chunk_id for r in tie] == ["c:y", "c:z"]


def test_interleave_alternates_and_skips_duplicates() -> None:
    primary = [RankedChunk(c, 1.0, i, ("vector",)) for i, c in enumerate(["c:1", "c:2", "c:3"], 1)]
    bridge = (Hit("c:2", 0.9), Hit("c:9", 0.8))
    out = interleave(primary, bridge, 60)
    assert [r.chunk_id for r in out] == ["c:1", "c:2", "c:3", "c:9"]
    assert out[1].sources == ("bridge", "vector")
    assert out[3].sources == ("bridge",)
    assert [r.rank for r in out] == [1, 2, 3, 4]


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

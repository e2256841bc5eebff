"""Link, relate and near-duplicate stages with hand-made analyses (no models)."""

from __future__ import annotations

from typing import Any

from graph.ingest.dedupe import near_duplicates, remap
from graph.ingest.link import KnownEntity, Registry, link_document, normalise
from graph.ingest.relate import comentions, relate_document
from graph.model import (
    Analysis,
    ChunkDraft,
    CoMention,
    DocumentGraph,
    EntityDraft,
    LinkedMention,
    Mention,
    RelationCandidate,
    RelationDraft,
    Sentence,
    SourceDocument,
)
from ontology import load_ontology

TEXT = "Harbor Trust Company (HTC) is subject to Solvency II. HTC owns Lighthouse."


def analysis() -> Analysis:
    def m(surface: str, label: str, extractor: str, nth: int = 0) -> Mention:
        start = -1
        for _ in range(nth + 1):
            start = TEXT.index(surface, start + 1)
        return Mention(start, start + len(surface), surface, label, extractor)

    mentions = (m("Harbor Trust Company", "Organization", "ner"),
                m("HTC", "Organization", "acronym"), m("Solvency II", "Regulation", "ruler"),
                m("HTC", "Organization", "acronym", 1), m("Lighthouse", "Thing", "propn"))
    s1, s2 = Sentence(0, 53), Sentence(54, len(TEXT))
    return Analysis(sentences=(s1, s2), mentions=mentions,
                    relations=(RelationCandidate(0, 2, "subject to", "prep", s1),
                               RelationCandidate(3, 4, "own", "svo", s2)),
                    acronyms=(("HTC", "Harbor Trust Company"),))


def chunk() -> ChunkDraft:
    return ChunkDraft("c:1", "d1", 0, 0, len(TEXT), TEXT)


def test_normalise_folds_case_punctuation_articles_and_suffixes() -> None:
    assert normalise("The Harbor Trust Company") == "harbor trust"
    assert normalise("Pell & Rowe LLP") == normalise("pell and rowe") == "pell and rowe"
    assert normalise("Acme Bank's") == "acme bank"
    assert normalise("Company") == "company"  # a lone suffix stays


def test_acronym_and_long_form_link_to_one_entity() -> None:
    result = link_document(analysis(), [chunk()], lookup=lambda keys: [], registry=Registry())
    ids = set(result.entity_of_mention)
    assert len(ids) == 3
    htc = result.entity_of_mention[0]
    assert result.entity_of_mention[1] == result.entity_of_mention[3] == htc
    entity = next(e for e in result.entities if e.id == htc)
    assert entity.name == "Harbor Trust Company" and "HTC" in entity.aliases
    assert set(result.keys[htc]) == {"harbor trust", "htc"}
    for lm in result.mentions:  # offsets slice the chunk exactly
        assert TEXT[lm.start:lm.end] == lm.surface


def test_known_entities_are_reused_and_two_known_ones_merge() -> None:
    known = [KnownEntity("e:htc", "Thing", ("htc",)),
             KnownEntity("e:harbor-trust", "Organization", ("harbor trust",))]
    result = link_document(analysis(), [chunk()], lookup=lambda keys: known,
                           registry=Registry())
    assert result.entity_of_mention[0] == "e:harbor-trust"
    assert result.merges == (("e:harbor-trust", "e:htc"),)
    assert "e:harbor-trust" not in result.new_ids


def test_relations_map_lemmas_to_the_ontology_with_sentence_evidence() -> None:
    ont = load_ontology()
    a = analysis()
    linked = link_document(a, [chunk()], lookup=lambda keys: [], registry=Registry())
    rels = relate_document(a, [chunk()], linked.entity_of_mention, ont)
    by_type = {r.type: r for r in rels}
    assert set(by_type) == {"SUBJECT_TO", "OWNS"}
    assert TEXT[by_type["SUBJECT_TO"].start:by_type["SUBJECT_TO"].end] == (
        "Harbor Trust Company (HTC) is subject to Solvency II.")
    assert all(r.confidence > 0.7 for r in rels)


def test_unknown_lemma_stays_related_to_with_its_predicate() -> None:
    ont = load_ontology()
    a = analysis()
    a = Analysis(a.sentences, a.mentions,
                 (RelationCandidate(3, 4, "frobnicate", "svo", a.sentences[1]),), a.acronyms)
    linked = link_document(a, [chunk()], lookup=lambda keys: [], registry=Registry())
    (rel,) = relate_document(a, [chunk()], linked.entity_of_mention, ont)
    assert (rel.type, rel.predicate) == ("RELATED_TO", "frobnicate")


def test_comentions_pair_entities_per_chunk_without_dates() -> None:
    ms = [LinkedMention("c:1", e, 0, 1, "x", "ner") for e in ("e:b", "e:a", "e:d")]
    pairs = comentions(ms, {"e:a": "Organization", "e:b": "Person", "e:d": "Date"})
    assert pairs == (CoMention("e:a", "e:b", "c:1"),)


class FakeStore:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows, self.calls = rows, []  # type: ignore[var-annotated]

    def read(self, query: str, params: Any = None) -> list[dict[str, Any]]:
        self.calls.append((query, params))
        return self.rows

    def write(self, steps: Any) -> list[list[dict[str, Any]]]:
        raise AssertionError("no writes here")


def test_near_duplicates_never_merge_identifiers_and_remap_moves_everything() -> None:
    entities = [EntityDraft("e:quillon-analytics-group", "Quillon Analytics Group",
                            "Organization"),
                EntityDraft("e:inc-2351", "INC-2351", "Identifier")]
    store = FakeStore([{"key": "e:quillon-analytics-group", "id": "e:quillon-analytics",
                       "score": 0.95}])
    found = near_duplicates(store, index="i", entities=entities, vectors=[[1.0], [1.0]],
                            candidates=frozenset(e.id for e in entities), threshold=0.92)
    assert found == {"e:quillon-analytics-group": "e:quillon-analytics"}
    sent = store.calls[0][1]["rows"]
    assert [r["key"] for r in sent] == ["e:quillon-analytics-group"]  # identifier not asked
    doc = SourceDocument("d1", "u", "t", TEXT)
    dg = DocumentGraph(doc, (chunk(),), tuple(entities),
                       (LinkedMention("c:1", "e:quillon-analytics-group", 0, 3, "Q", "ner"),),
                       (RelationDraft("e:quillon-analytics-group", "e:inc-2351", "RELATED_TO",
                                      "x", "c:1", 0, 5, 0.5, "dep:svo"),),
                       (CoMention("e:inc-2351", "e:quillon-analytics-group", "c:1"),),
                       ((1.0,),), ((1.0,), (1.0,)))
    out = remap(dg, found)
    assert out.entities[0].id == "e:quillon-analytics"
    assert "Quillon Analytics Group" in out.entities[0].aliases
    assert out.mentions[0].entity_id == "e:quillon-analytics"
    assert out.relations[0].head == "e:quillon-analytics"
    assert out.comentions == (CoMention("e:inc-2351", "e:quillon-analytics", "c:1"),)

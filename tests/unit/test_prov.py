"""PROV-O export of an audit record: both formats parse back and keep the chain."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import PROV
from rdflib.query import ResultRow

from ontology.errors import InvalidInputError
from ontology.prov import ID, KGRAG, prov_export

SHA = "ab" * 32

AUDIT: dict[str, Any] = {
    "id": "q:1234",
    "query": {"id": "q:1234", "text": "Which directive applies?", "principal": "alice",
              "groups": ["public"], "at": "2025-05-01T10:00:00Z", "mode": "graph",
              "params": {"k": 2}},
    "versions": {"embedding_model": "all-MiniLM-L6-v2@1", "spacy_model": "en_core_web_sm@3.8",
                 "generator": "extractive", "model": "extractive/1",
                 "prompt_version": "answer/3", "embedding_index": "chunk_vec_minilm"},
    "answer": {"id": "a:5678", "text": "DORA applies [S1].", "restricted": False,
               "verdict": "answered", "reason": None, "confidence": 0.8,
               "generator": "extractive", "model": "extractive/1",
               "prompt_version": "answer/3", "guards": []},
    "chunks": [
        {"chunk_id": "c:aaa", "doc_id": "reg-1", "rank": 1, "score": 0.9, "uri": "https://x/reg-1",
         "title": "Regulation", "version": 2, "sha256": SHA, "text": "DORA applies.",
         "current": True},
        {"restricted": True, "chunk_id": "c:bbb", "rank": 2},
    ],
    "citations": [{"source": "S1", "chunk_id": "c:aaa", "doc_id": "reg-1", "char_start": 0,
                   "char_end": 13, "quote": "DORA applies."}],
    "paths": [],
}

CHAIN = """
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX kgrag: <https://kgrag.dev/ns#>
SELECT ?answer ?activity ?chunk ?docver ?v ?sha ?uri WHERE {
  ?answer a prov:Entity ; prov:wasGeneratedBy ?activity .
  ?activity a prov:Activity ; prov:used ?chunk ; prov:startedAtTime ?t .
  ?chunk a prov:Entity ; prov:wasDerivedFrom ?docver .
  ?docver a prov:Entity ; kgrag:version ?v ; kgrag:sha256 ?sha ; kgrag:uri ?uri .
}"""


def parse(text: str, fmt: str) -> Graph:
    with warnings.catch_warnings():  # rdflib's JSON-LD parser builds a ConjunctiveGraph
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        return Graph().parse(data=text, format=fmt)


@pytest.mark.parametrize("fmt", ["turtle", "json-ld"])
def test_chain_answer_activity_chunk_document_version(fmt: str) -> None:
    g = parse(prov_export(AUDIT, fmt), fmt)
    rows = list(g.query(CHAIN))
    assert len(rows) == 1
    row = rows[0]
    assert isinstance(row, ResultRow)
    assert row.answer == ID["answer/a:5678"] and row.activity == ID["run/q:1234"]
    assert row.chunk == ID["chunk/c:aaa"] and row.docver == ID["document/reg-1/v2"]
    assert isinstance(row.v, Literal) and row.v.toPython() == 2
    assert (str(row.sha), str(row.uri)) == (SHA, "https://x/reg-1")
    assert (row.docver, PROV.specializationOf, ID["document/reg-1"]) in g


@pytest.mark.parametrize("fmt", ["turtle", "json-ld"])
def test_agents_and_attribution(fmt: str) -> None:
    g = parse(prov_export(AUDIT, fmt), fmt)
    run, answer = ID["run/q:1234"], ID["answer/a:5678"]
    person = ID["principal/alice"]
    assert (person, RDF.type, PROV.Person) in g and (person, RDF.type, PROV.Agent) in g
    assert (run, PROV.wasAssociatedWith, person) in g
    software = set(g.subjects(RDF.type, PROV.SoftwareAgent))
    labels = {str(g.value(s, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
              for s in software}
    assert labels == {"extractive", "extractive/1", "all-MiniLM-L6-v2@1", "en_core_web_sm@3.8"}
    assert all((run, PROV.wasAssociatedWith, s) in g for s in software)
    assert (answer, PROV.wasAttributedTo, ID["software/model/extractive/1"]) in g
    assert (answer, PROV.wasAttributedTo, person) in g


def test_citation_span_and_restricted_chunk() -> None:
    g = parse(prov_export(AUDIT, "turtle"), "turtle")
    answer = ID["answer/a:5678"]
    (derivation,) = list(g.objects(answer, PROV.qualifiedDerivation))
    assert (derivation, PROV.entity, ID["chunk/c:aaa"]) in g
    assert g.value(derivation, KGRAG.quote) == Literal("DORA applies.")
    assert g.value(derivation, KGRAG.charEnd).toPython() == 13  # type: ignore[union-attr]
    hidden = ID["chunk/c:bbb"]
    assert (ID["run/q:1234"], PROV.used, hidden) in g
    assert (hidden, KGRAG.restricted, Literal(True)) in g
    assert list(g.objects(hidden, PROV.wasDerivedFrom)) == []


def test_redacted_answer_text_is_not_exported() -> None:
    audit = {**AUDIT, "answer": {**AUDIT["answer"], "text": None, "restricted": True}}
    g = parse(prov_export(audit, "turtle"), "turtle")
    assert list(g.objects(ID["answer/a:5678"], PROV.value)) == []
    assert (ID["answer/a:5678"], PROV.wasGeneratedBy, ID["run/q:1234"]) in g


def test_retrieval_only_record_has_no_answer() -> None:
    g = parse(prov_export({**AUDIT, "answer": None, "citations": []}, "json-ld"), "json-ld")
    assert list(g.subjects(PROV.wasGeneratedBy, None)) == []
    assert (ID["run/q:1234"], PROV.used, ID["chunk/c:aaa"]) in g


def test_unknown_format_is_invalid_input() -> None:
    with pytest.raises(InvalidInputError):
        prov_export(AUDIT, "rdfxml")

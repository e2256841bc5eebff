"""The audit trail against a real Neo4j, real spaCy and real embeddings."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph
from rdflib.namespace import PROV

from graph.audit import documents_changed_since, get_audit, record_audit
from graph.ingest.load import load_paths
from graph.ingest.pipeline import Ports, ingest
from graph.retrieve.types import Mode, RetrieveParams
from ontology.errors import NotFoundError
from ontology.prov import prov_export
from service.qa import QAResult, ask
from tests.conftest import FIXTURES, ROOT
from tests.helpers import cypher, quoting

pytestmark = [pytest.mark.neo4j, pytest.mark.models]

LIGHTHOUSE = "Which directive applies to the operator of the Lighthouse platform?"
INVOICE = "In which city is the supplier paid under invoice INV-4471 located?"
LIGHTHOUSE_DOCS = ("ops-1", "reg-1")  # operated by Harbor Trust; Harbor subject to Solvency II
INVOICE_DOCS = ("fin-1", "vendor-1")  # INV-4471 payable to Tern; Tern located in Rotterdam
CHAIN = """
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX kgrag: <https://kgrag.dev/ns#>
SELECT ?chunk ?docver WHERE {
  ?answer a prov:Entity ; prov:wasGeneratedBy ?activity .
  ?activity a prov:Activity ; prov:used ?chunk .
  ?chunk a prov:Entity ; prov:wasDerivedFrom ?docver .
  ?docver a prov:Entity ; kgrag:version ?v ; kgrag:sha256 ?sha .
}"""


def _ports(svc: Any) -> Ports:
    return Ports(svc.store, svc.extractor.get(), svc.embedder.get(), svc.ontology)


@pytest.fixture
def corpus(graph_db: Any) -> Any:
    report = ingest(load_paths([FIXTURES / "corpus"]), _ports(graph_db))
    assert report.failed == []
    return graph_db


def _record(svc: Any, question: str, groups: tuple[str, ...],
            docs: tuple[str, ...] = ()) -> tuple[str, QAResult]:
    params = RetrieveParams(k=5, mode=Mode.GRAPH, groups=groups)
    result = ask(question, quoting(svc, question, params, docs) if docs else svc, params)
    answer = result.as_dict()
    versions = {"embedding_model": svc.embedder.get().model_id,
                "embedding_index": result.retrieval.index,
                "spacy_model": svc.extractor.get().model_id,
                "ontology_version": svc.ontology.version,
                "prompt_version": answer["prompt_version"], "generator": answer["generator"],
                "model": answer["model"]}
    audit_id = record_audit(svc.store, question=question, principal="alice@example.com",
                            groups=groups, params={"k": 5, "mode": "graph", "groups": groups},
                            retrieval=result.retrieval.as_dict(), answer=answer,
                            versions=versions)
    return audit_id, result


def _chunk_texts(svc: Any) -> dict[str, tuple[str, str]]:
    rows = cypher(svc, "MATCH (c:Chunk) RETURN c.id AS id, c.text AS text, c.doc_id AS doc")
    return {r["id"]: (r["text"], r["doc"]) for r in rows}


@pytest.mark.parametrize("docs", [(), LIGHTHOUSE_DOCS], ids=["extractive", "answering"])
def test_record_and_read_back_an_answer(corpus: Any, docs: tuple[str, ...]) -> None:
    audit_id, result = _record(corpus, LIGHTHOUSE, ("public",), docs)
    assert audit_id.startswith("q:")
    assert result.answer.abstained == (docs == ())  # the extractive generator abstains here
    audit = get_audit(corpus.store, audit_id, ["public"])
    assert audit["id"] == audit_id and audit["redacted"] == 0
    assert audit["query"]["text"] == LIGHTHOUSE
    assert audit["query"]["principal"] == "alice@example.com"
    assert audit["query"]["params"]["k"] == 5 and audit["query"]["at"]
    assert audit["versions"]["embedding_index"] == result.retrieval.index
    assert audit["answer"]["text"] == result.answer.answer
    assert audit["answer"]["model"] == result.answer.model
    assert audit["answer"]["verdict"] == ("abstained" if result.answer.abstained else "answered")
    assert [g["name"] for g in audit["answer"]["guards"]] == [g.name for g in result.answer.guards]
    assert [(c["chunk_id"], c["rank"]) for c in audit["chunks"]] == [
        (c.id, c.rank) for c in result.retrieval.chunks]
    assert [c["text"] for c in audit["chunks"]] == [c.text for c in result.retrieval.chunks]
    assert all(c["current"] and c["run_id"] for c in audit["chunks"])
    assert [(c["chunk_id"], c["char_start"], c["char_end"], c["quote"])
            for c in audit["citations"]] == [
        (c.chunk_id, c.char_start, c.char_end, c.quote) for c in result.answer.citations]
    assert len(audit["citations"]) == (2 if docs else 0)
    original = {p.path_id: p.as_dict() for p in result.retrieval.paths}
    assert {p["path_id"] for p in audit["paths"]} == set(original)
    for path in audit["paths"]:
        supports = path.pop("supports_answer")
        assert path == original[path["path_id"]]
        assert supports == (path["chunk_id"] in {c.chunk_id for c in result.answer.citations})
    with pytest.raises(NotFoundError):
        get_audit(corpus.store, "q:nope", ["public"])


def test_stored_quotes_are_exact_and_graph_reaches_documents(corpus: Any) -> None:
    audit_id, result = _record(corpus, LIGHTHOUSE, ("public",), LIGHTHOUSE_DOCS)
    texts = _chunk_texts(corpus)
    cites = cypher(corpus, "MATCH (:Query {id: $id})-[:ANSWERED_BY]->(:Answer)-[r:CITES]->"
                            "(c:Chunk) RETURN c.text AS text, properties(r) AS rel", id=audit_id)
    assert len(cites) == len(result.answer.citations) > 0
    for row in cites:
        rel = row["rel"]
        assert row["text"][rel["char_start"]:rel["char_end"]] == rel["quote"]
    steps = cypher(corpus, "MATCH (:Query {id: $id})-[:ANSWERED_BY*0..1]->()-[:HAS_PATH]->"
                            "(:ProvenancePath)-[:HAS_STEP]->(s:PathStep) "
                            "WHERE s.quote IS NOT NULL RETURN s {.*} AS s", id=audit_id)
    assert steps
    for row in steps:
        s = row["s"]
        assert texts[s["chunk_id"]][0][s["char_start"]:s["char_end"]] == s["quote"]
    docs = cypher(corpus, "MATCH (q:Query {id: $id}) MATCH (q)-[:ANSWERED_BY*0..1]->()"
                           "-[:HAS_PATH]->(:ProvenancePath)-[:HAS_STEP]->(:PathStep)"
                           "-[:STEP_OF]->(d:Document) RETURN DISTINCT d.id AS id", id=audit_id)
    assert {r["id"] for r in docs} >= {c.doc_id for c in result.retrieval.chunks}
    relation = cypher(corpus, "MATCH (:Query {id: $id})-[:ANSWERED_BY*0..1]->()-[:HAS_PATH]->"
                               "()-[:HAS_STEP]->(s:PathStep {kind: 'relation'})-[:STEP_OF]->"
                               "(c:Chunk) RETURN count(*) AS n", id=audit_id)
    assert relation[0]["n"] > 0
    runs = cypher(corpus, "MATCH (:Query {id: $id})-[r:RETRIEVED]->(:Chunk)<-[:HAS_CHUNK]-"
                           "(:Document)<-[:PRODUCED]-(run:IngestionRun) "
                           "RETURN count(*) AS n, sum(CASE WHEN run.id = r.run_id THEN 1 "
                           "ELSE 0 END) AS same", id=audit_id)
    assert runs[0]["n"] == runs[0]["same"] == len(result.retrieval.chunks)


def test_prov_export_round_trips(corpus: Any) -> None:
    audit_id, result = _record(corpus, LIGHTHOUSE, ("public",), LIGHTHOUSE_DOCS)
    audit = get_audit(corpus.store, audit_id, ["public"])
    for fmt, parse_as in (("turtle", "turtle"), ("json-ld", "json-ld")):
        with warnings.catch_warnings():  # rdflib's JSON-LD parser builds a ConjunctiveGraph
            warnings.filterwarnings("ignore", "ConjunctiveGraph", DeprecationWarning)
            g = Graph().parse(data=prov_export(audit, fmt), format=parse_as)
        used = {str(r[0]).rsplit("/", 1)[-1] for r in g.query(CHAIN)}  # type: ignore[index]
        assert {c.id for c in result.retrieval.chunks} <= used
        assert (None, PROV.wasAssociatedWith, None) in g


def test_restricted_evidence_is_redacted_for_readers_without_the_group(corpus: Any) -> None:
    audit_id, result = _record(corpus, INVOICE, ("public", "finance"), INVOICE_DOCS)
    finance = {cid for cid, (_, doc) in _chunk_texts(corpus).items() if doc == "fin-1"}

    def uses_finance(audit: dict[str, Any]) -> bool:
        return any(c["chunk_id"] in finance for c in audit["chunks"]
                   if not c.get("restricted")) or any(
            s.get("evidence", {}).get("chunk_id") in finance or s.get("chunk_id") in finance
            for p in audit["paths"] if not p.get("restricted") for s in p["steps"])

    for groups, admin in ((["finance", "public"], False), ([], True)):
        full = get_audit(corpus.store, audit_id, groups, admin=admin)
        assert full["redacted"] == 0 and uses_finance(full)
        fin_texts = [c["text"] for c in full["chunks"] if c["chunk_id"] in finance]
        assert all("INV-4471" in t for t in fin_texts)

    public = get_audit(corpus.store, audit_id, ["public"])
    assert public["redacted"] > 0 and not uses_finance(public)
    assert "INV-4471" not in repr([public["chunks"], public["citations"], public["paths"]])
    markers = [x for x in [*public["chunks"], *public["citations"], *public["paths"]]
               if x.get("restricted")]
    assert markers and all(set(m) <= {"restricted", "chunk_id", "rank", "source", "path_id"}
                           for m in markers)
    assert any(m["chunk_id"] in finance for m in markers)
    assert {c.doc_id for c in result.answer.citations} == {"fin-1", "vendor-1"}
    assert public["answer"]["text"] is None and public["answer"]["restricted"]
    assert full["answer"]["text"] == result.answer.answer
    for c in public["chunks"]:
        if not c.get("restricted"):
            assert c["doc_id"] != "fin-1"


def test_documents_changed_since_reports_a_reingested_document(corpus: Any, tmp_path: Path) -> None:
    audit_id, result = _record(corpus, LIGHTHOUSE, ("public",), LIGHTHOUSE_DOCS)
    assert documents_changed_since(corpus.store, audit_id) == []
    doc_id = next(c.doc_id for c in result.retrieval.chunks)
    source = next(p for p in (FIXTURES / "corpus").glob("*.md")
                  if f"id: {doc_id}\n" in p.read_text())
    changed = tmp_path / source.name
    changed.write_text(source.read_text() + "\nThis paragraph was added after the answer.\n")
    report = ingest(load_paths([changed]), _ports(corpus))
    assert report.ingested == 1 and report.failed == []

    changes = documents_changed_since(corpus.store, audit_id)
    assert [c["doc_id"] for c in changes] == [doc_id]
    assert changes[0]["status"] == "changed"
    assert (changes[0]["recorded_version"], changes[0]["current_version"]) == (1, 2)
    assert changes[0]["recorded_sha256"] != changes[0]["current_sha256"]
    # The record survives the re-ingestion that replaced the document's chunks.
    audit = get_audit(corpus.store, audit_id, ["public"])
    assert {p["path_id"] for p in audit["paths"]} == {p.path_id for p in result.retrieval.paths}
    assert len(audit["chunks"]) == len(result.retrieval.chunks)


def test_browser_queries_run_and_return_rows(corpus: Any) -> None:
    audit_id, result = _record(corpus, LIGHTHOUSE, ("public",), LIGHTHOUSE_DOCS)
    cited_doc = result.answer.citations[0].doc_id if result.answer.citations else (
        result.retrieval.chunks[0].doc_id)
    params: dict[str, dict[str, Any]] = {
        "browser_answer_provenance": {"audit_id": audit_id},
        "browser_answers_citing_document": {"doc_id": cited_doc},
        "browser_answers_by_model": {"model": result.answer.model, "prompt_version": None},
        "browser_documents_changed_since_answer": {"audit_id": audit_id},
    }
    for name, p in params.items():
        text = (ROOT / "cypher" / f"{name}.cypher").read_text()
        rows = cypher(corpus, text, **p)
        if name == "browser_documents_changed_since_answer":
            assert rows == [], name  # nothing changed yet
        else:
            assert rows, name
    records, _, _ = corpus.store._driver.execute_query(
        (ROOT / "cypher" / "browser_answer_provenance.cypher").read_text(), audit_id=audit_id)
    labels = {label for r in records for n in r["p"].nodes for label in n.labels}
    assert {"Query", "Answer", "ProvenancePath", "PathStep", "Chunk", "Document",
            "Entity", "IngestionRun"} <= labels  # Browser draws these paths as a graph
    by_prompt = cypher(corpus, (ROOT / "cypher" / "browser_answers_by_model.cypher").read_text(),
                        model=None, prompt_version=result.answer.prompt_version)
    assert any(r["audit_id"] == audit_id for r in by_prompt)
    # After a change, the changed-documents query lists the document.
    doc_id = result.retrieval.chunks[0].doc_id
    cypher(corpus, "MATCH (d:Document {id: $id}) SET d.version = d.version + 1, "
                    "d.sha256 = 'x'", id=doc_id)
    rows = cypher(corpus, (ROOT / "cypher" / "browser_documents_changed_since_answer.cypher")
                   .read_text(), audit_id=audit_id)
    assert doc_id in {r["doc_id"] for r in rows}

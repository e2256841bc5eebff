"""Ingestion against a real Neo4j with the real spaCy model and real embeddings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from graph.ingest.load import load_paths
from graph.ingest.pipeline import IngestOptions, IngestReport, Ports, ingest
from graph.ingest.write import delete_document
from graph.store import Neo4jStore
from service.cli import main as cli
from tests.conftest import FIXTURES, clean_graph
from tests.helpers import cypher as q

pytestmark = [pytest.mark.neo4j, pytest.mark.models]
CORPUS = FIXTURES / "corpus"


def run(svc: Any, *paths: Path, store: Any = None) -> IngestReport:
    ports = Ports(store or svc.store, svc.extractor.get(), svc.embedder.get(), svc.ontology)
    return ingest(load_paths(list(paths)), ports)


def counts(svc: Any) -> dict[str, int]:
    rows = q(svc, "MATCH (n) WHERE NOT n:IngestionRun UNWIND labels(n) AS l "
                  "RETURN l, count(*) AS n ORDER BY l")
    rels = q(svc, "MATCH ()-[r]->() RETURN type(r) AS t, count(*) AS n ORDER BY t")
    out = {r["l"]: r["n"] for r in rows}
    out.update({f"rel:{r['t']}": r["n"] for r in rels if r["t"] != "PRODUCED"})
    return out


def test_corpus_ingests_with_lineage(graph_db) -> None:  # type: ignore[no-untyped-def]
    report = run(graph_db, CORPUS)
    assert report.failed == []
    assert report.ingested == 7 and report.chunks >= 7 and report.relations >= 5
    docs = q(graph_db, "MATCH (r:IngestionRun)-[:PRODUCED]->(d:Document) "
                       "RETURN d.id AS id, d.version AS v, d.sha256 AS sha, "
                       "r.embedding_model AS em, r.embedding_precision AS ep, "
                       "r.spacy_model AS sm, r.ontology_version AS ov")
    assert len(docs) == 7
    assert all(d["v"] == 1 and len(d["sha"]) == 64 for d in docs)
    assert docs[0]["em"].startswith("all-MiniLM-L6-v2@") and docs[0]["sm"].startswith(
        "en_core_web_sm")
    assert docs[0]["ov"] == graph_db.ontology.version
    assert docs[0]["ep"] == graph_db.embedder.get().precision in {"float32", "bfloat16"}
    prop = graph_db.active_space().vector_property  # the active embedding space's vectors
    dims = q(graph_db, "MATCH (c:Chunk) RETURN DISTINCT size(c[$p]) AS d, "
                       "c.embedding_model AS m", p=prop)
    assert dims == [{"d": 384, "m": graph_db.embedder.get().model_id}]
    assert q(graph_db, "MATCH (e:Entity) WHERE e[$p] IS NULL RETURN e.id", p=prop) == []


def test_acronym_and_long_form_are_one_entity_across_documents(graph_db) -> None:  # type: ignore[no-untyped-def]
    run(graph_db, CORPUS)
    rows = q(graph_db, "MATCH (e:Entity) WHERE 'htc' IN e.keys "
                       "OPTIONAL MATCH (c:Chunk)-[:MENTIONS]->(e) "
                       "RETURN e.id AS id, e.name AS name, e.aliases AS aliases, "
                       "collect(DISTINCT c.doc_id) AS docs")
    assert len(rows) == 1, rows
    entity = rows[0]
    assert entity["name"] == "Harbor Trust Company" and "HTC" in entity["aliases"]
    assert {"org-1", "audit-1", "ops-1"} <= set(entity["docs"])  # "HTC" alone in audit-1


def test_relation_evidence_is_exactly_the_sentence(graph_db) -> None:  # type: ignore[no-untyped-def]
    run(graph_db, CORPUS)
    rows = q(graph_db, "MATCH (h:Entity)-[r]->(t:Entity) WHERE r.chunk_id IS NOT NULL "
                       "MATCH (c:Chunk {id: r.chunk_id}) "
                       "RETURN h.name AS h, type(r) AS type, t.name AS t, r.extractor AS ex, "
                       "substring(c.text, r.char_start, r.char_end - r.char_start) AS evidence")
    operated = [r for r in rows if r["type"] == "OPERATES" and r["t"] == "Lighthouse"]
    assert operated and operated[0]["h"] == "Harbor Trust Company"
    assert operated[0]["evidence"] == "The Lighthouse platform is operated by Harbor Trust Company."
    subject = [r for r in rows if r["type"] == "SUBJECT_TO" and r["t"] == "Solvency II"]
    assert subject[0]["evidence"] == "Harbor Trust Company is subject to Solvency II."
    for r in rows:  # every evidence span is a whole sentence of its chunk
        assert r["evidence"][:1].isupper() and r["evidence"].rstrip()[-1] in ".!?", r
        assert r["ex"].startswith("dep:")


def test_reingest_is_a_noop(graph_db) -> None:  # type: ignore[no-untyped-def]
    run(graph_db, CORPUS)
    before = counts(graph_db)
    chunk_ids = q(graph_db, "MATCH (c:Chunk) RETURN c.id AS id ORDER BY id")
    again = run(graph_db, CORPUS)
    assert (again.ingested, again.unchanged) == (0, 7)
    assert counts(graph_db) == before
    assert q(graph_db, "MATCH (c:Chunk) RETURN c.id AS id ORDER BY id") == chunk_ids
    assert {r["v"] for r in q(graph_db, "MATCH (d:Document) RETURN d.version AS v")} == {1}


def test_changing_one_document_changes_only_its_subgraph(graph_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    run(graph_db, corpus)
    other = q(graph_db, "MATCH (d:Document)-[:HAS_CHUNK]->(c) WHERE d.id <> 'note-1' "
                        "RETURN c.id AS id, c.text AS t ORDER BY id")
    note = corpus / "note-1.md"
    text = note.read_text()
    assert "Lisbon" in text
    note.write_text(text.replace("Lisbon", "Porto"))
    report = run(graph_db, corpus)
    assert (report.ingested, report.unchanged) == (1, 6)
    assert report.versions["note-1"] == 2
    assert q(graph_db, "MATCH (d:Document)-[:HAS_CHUNK]->(c) WHERE d.id <> 'note-1' "
                       "RETURN c.id AS id, c.text AS t ORDER BY id") == other
    names = {r["n"] for r in q(graph_db, "MATCH (e:Entity) RETURN e.name AS n")}
    assert "Porto" in names and "Lisbon" not in names  # only note-1 named Lisbon
    assert_no_orphans(graph_db)


def assert_no_orphans(svc: Any) -> None:
    assert q(svc, "MATCH (e:Entity) WHERE NOT (e)<-[:MENTIONS]-(:Chunk) RETURN e.id") == []
    assert q(svc, "MATCH (:Entity)-[r]->(:Entity) WHERE r.chunk_id IS NOT NULL "
                  "AND NOT EXISTS { MATCH (c:Chunk {id: r.chunk_id}) } RETURN r") == []
    assert q(svc, "MATCH (c:Chunk) WHERE NOT (c)<-[:HAS_CHUNK]-(:Document) RETURN c.id") == []
    assert q(svc, "MATCH ()-[r:CO_MENTIONED]->() WHERE any(id IN r.chunk_ids WHERE NOT "
                  "EXISTS { MATCH (c:Chunk {id: id}) }) RETURN r") == []


def test_delete_leaves_no_orphans(graph_db) -> None:  # type: ignore[no-untyped-def]
    run(graph_db, CORPUS)
    assert delete_document(graph_db.store, "vendor-1")
    assert q(graph_db, "MATCH (d:Document {id: 'vendor-1'}) RETURN d") == []
    assert_no_orphans(graph_db)
    for doc_id in ["audit-1", "fin-1", "note-1", "ops-1", "org-1", "reg-1"]:
        assert delete_document(graph_db.store, doc_id)
    assert q(graph_db, "MATCH (n) WHERE n:Entity OR n:Chunk OR n:Document RETURN n") == []
    assert not delete_document(graph_db.store, "vendor-1")


def test_bad_files_are_reported_and_nothing_partial_is_written(graph_db) -> None:  # type: ignore[no-untyped-def]
    report = run(graph_db, CORPUS, FIXTURES / "bad")
    reasons = {Path(s).name: r for s, r in report.failed}
    assert set(reasons) == {"garbage.txt", "empty.md", "latin1.txt"}
    assert report.ingested == 7
    ids = {r["id"] for r in q(graph_db, "MATCH (d:Document) RETURN d.id AS id")}
    assert not ids & {"garbage", "empty", "latin1"}


class FailingStore(Neo4jStore):
    """Runs a document's writes, then fails inside the same transaction."""

    def write(self, steps):  # type: ignore[no-untyped-def]
        if any(name == "ingest_chunks" for name, _ in steps):
            def work(tx):  # type: ignore[no-untyped-def]
                from graph.cypher import query
                for name, params in steps:
                    tx.run(query(name), dict(params)).consume()
                raise RuntimeError("crash after the writes, before commit")
            with self._driver.session(database=self.database) as session:
                session.execute_write(work)
        return super().write(steps)


def test_a_crash_mid_document_leaves_nothing_partial(graph_db) -> None:  # type: ignore[no-untyped-def]
    s = graph_db.settings
    store = FailingStore(s.neo4j_uri, s.neo4j_user, s.neo4j_password, s.neo4j_database)
    try:
        with pytest.raises(RuntimeError, match="crash"):
            run(graph_db, CORPUS / "reg-1.md", store=store)
    finally:
        store.close()
    assert q(graph_db, "MATCH (n) WHERE n:Document OR n:Chunk OR n:Entity RETURN n") == []


def test_every_label_and_type_is_allow_listed(graph_db) -> None:  # type: ignore[no-untyped-def]
    run(graph_db, CORPUS)
    labels = {r["label"] for r in q(graph_db, "CALL db.labels() YIELD label RETURN label")}
    types = {r["t"] for r in q(graph_db, "CALL db.relationshipTypes() YIELD relationshipType "
                                         "AS t RETURN t")}
    assert labels and labels <= graph_db.ontology.labels
    assert types and types <= graph_db.ontology.relationship_types


def test_cli_ingest_json_reports_failures_with_exit_code(graph_db, settings) -> None:  # type: ignore[no-untyped-def]
    env = {"NEO4J_URI": settings.neo4j_uri, "NEO4J_USER": settings.neo4j_user,
           "NEO4J_PASSWORD": settings.neo4j_password}
    result = CliRunner().invoke(cli, ["ingest", str(CORPUS / "reg-1.md"),
                                      str(FIXTURES / "bad" / "empty.md"), "--json"], env=env)
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["ingested"] == 1 and len(summary["failed"]) == 1
    ok = CliRunner().invoke(cli, ["delete", "reg-1"], env=env)
    assert ok.exit_code == 0
    missing = CliRunner().invoke(cli, ["delete", "reg-1"], env=env)
    assert missing.exit_code == 1 and "no document" in missing.output


def test_reingesting_a_corpus_gives_the_same_vectors(graph_db: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # what is embedded together is fixed by the input, never by timing: small hand-overs
    # of one-document batches, so several embedder calls, and the same ones each time
    monkeypatch.setattr("graph.ingest.pipeline.EMBED_CHUNKS", 3)
    ports = Ports(graph_db.store, graph_db.extractor.get(), graph_db.embedder.get(),
                  graph_db.ontology)
    prop = graph_db.active_space().vector_property
    vectors = []
    for _ in range(2):
        clean_graph(graph_db)
        report = ingest(load_paths([CORPUS]), ports, IngestOptions(batch_docs=1))
        assert report.failed == [] and report.ingested == 7
        vectors.append({r["id"]: r["v"] for r in q(
            graph_db, "MATCH (n) WHERE n:Chunk OR n:Entity RETURN n.id AS id, n[$p] AS v",
            p=prop)})
    assert len(vectors[0]) > 20 and vectors[0] == vectors[1]

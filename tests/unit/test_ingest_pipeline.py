"""The pipeline's batching with fakes: one transaction per batch, a bad document alone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from graph.ingest.dedupe import near_duplicates_batch
from graph.ingest.pipeline import IngestOptions, Ports, ingest
from graph.model import Analysis, EntityDraft, Mention, Sentence, SourceDocument
from ontology import load_ontology
from ontology.errors import KgragError


class FakeExtractor:
    model_id = "fake-nlp@1"

    def analyse(self, texts: Sequence[str]) -> list[Analysis]:
        out = []
        for text in texts:
            name = text.split(" ")[0]
            out.append(Analysis(sentences=(Sentence(0, len(text)),),
                                mentions=(Mention(0, len(name), name, "Organization", "ner"),)))
        return out


class FakeEmbedder:
    model_id = "fake-embed@1"
    dimension = 4

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return np.tile(np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32), (len(texts), 1))


class BatchStore:
    """Reads find nothing stored; a write that includes document ``bad`` fails."""

    def __init__(self) -> None:
        self.writes: list[list[str]] = []  # document ids per write transaction

    def read(self, query: str, params: Any = None) -> list[dict[str, Any]]:
        return []

    def write(self, steps: Sequence[tuple[str, Any]]) -> list[list[dict[str, Any]]]:
        docs = [p["doc"]["id"] for name, p in steps if name == "ingest_document"]
        if docs:
            self.writes.append(docs)
        if "bad" in docs:
            raise KgragError("constraint violated")
        return [[{"version": 1}] if name == "ingest_document" else [] for name, _ in steps]


def test_a_batch_is_one_transaction_and_a_bad_document_fails_alone() -> None:
    docs = [SourceDocument(i, f"u:{i}", i, f"{name} is a company.", source=f"src/{i}")
            for i, name in (("a", "Acme"), ("bad", "Badco"), ("c", "Cogs"))]
    store = BatchStore()
    ports = Ports(store, FakeExtractor(), FakeEmbedder(), load_ontology())
    report = ingest(docs, ports, IngestOptions(batch_docs=16))
    assert store.writes == [["a", "bad", "c"], ["a"], ["bad"], ["c"]]
    assert report.failed == [("src/bad", "constraint violated")]
    assert report.ingested == 2 and set(report.versions) == {"a", "c"}


def test_near_duplicates_in_a_batch_see_what_earlier_documents_create() -> None:
    class NoHits:
        def read(self, query: str, params: Any = None) -> list[dict[str, Any]]:
            return []

        def write(self, steps: Any) -> list[list[dict[str, Any]]]:
            raise AssertionError("no writes here")

    v, w = (1.0, 0.0), (0.0, 1.0)
    doc1 = ([EntityDraft("e:acme", "Acme", "Organization"),
             EntityDraft("e:acme-co", "Acme Co", "Organization")], [v, v],
            frozenset({"e:acme", "e:acme-co"}))
    doc2 = ([EntityDraft("e:acme-group", "Acme Group", "Organization"),
             EntityDraft("e:acme-place", "Acme", "Place"),
             EntityDraft("e:other", "Other", "Organization")], [v, v, w],
            frozenset({"e:acme-group", "e:acme-place", "e:other"}))
    found = near_duplicates_batch(NoHits(), index="i", docs=[doc1, doc2], threshold=0.92)
    # a document's own new entities are not compared with each other; a later one's are,
    # with the same type only
    assert found == [{}, {"e:acme-group": "e:acme"}]

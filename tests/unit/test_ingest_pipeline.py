"""The pipeline's batching with fakes: one transaction per batch, a bad document alone."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from graph.embed import plan_batches, resolve_precision, texts_per_batch
from graph.ingest.dedupe import RunEntities, near_duplicates_batch, near_duplicates_planned
from graph.ingest.pipeline import IngestOptions, Ports, ingest
from graph.ingest.write import DocWrite, write_documents
from graph.model import (
    Analysis,
    ChunkDraft,
    DocumentGraph,
    EntityDraft,
    Mention,
    Sentence,
    SourceDocument,
)
from graph.process import ProcessSetting
from ontology import load_ontology
from ontology.errors import KgragError, ModelError


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
    precision = "float32"
    idle_workers = 2

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return np.tile(np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32), (len(texts), 1))


class BatchStore:
    """Reads find nothing stored; a write that includes document ``bad`` fails."""

    def __init__(self) -> None:
        self.writes: list[list[str]] = []  # document ids per write transaction

    def read(self, query: str, params: Any = None) -> list[dict[str, Any]]:
        return []

    def write(self, steps: Sequence[tuple[str, Any]]) -> list[list[dict[str, Any]]]:
        docs = [d["id"] for name, p in steps if name == "ingest_documents" for d in p["docs"]]
        if docs:
            self.writes.append(docs)
        if "bad" in docs:
            raise KgragError("constraint violated")
        return [[{"id": d["id"], "version": 1} for d in p["docs"]]
                if name == "ingest_documents" else [] for name, p in steps]


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


class CountingReads:
    """Counts named reads; the vector index finds nothing."""

    def __init__(self) -> None:
        self.reads: list[str] = []

    def read(self, query: str, params: Any = None) -> list[dict[str, Any]]:
        self.reads.append(query)
        return []

    def write(self, steps: Any) -> list[list[dict[str, Any]]]:
        raise AssertionError("no writes here")


def test_run_entities_are_compared_in_memory_and_the_index_asked_only_for_older_ones() -> None:
    v = np.array([1.0, 0.0], dtype=np.float32)
    doc = ([EntityDraft("e:acme-co", "Acme Co", "Organization")], [v],
           frozenset({"e:acme-co"}))
    store = CountingReads()
    run = RunEntities(indexed=False)
    run.add([("e:acme", "Organization", v), ("e:acme-place", "Place", v)])
    found, created = near_duplicates_planned(store, index="i", docs=[doc], threshold=0.92,
                                             run=run)
    assert found == [{"e:acme-co": "e:acme"}] and created == [[]]
    assert store.reads == []  # nothing stored before the run: no index query
    older = RunEntities(indexed=True)
    found, created = near_duplicates_planned(store, index="i", docs=[doc], threshold=0.92,
                                             run=older)
    assert found == [{}] and [c[0] for c in created[0]] == ["e:acme-co"]
    assert store.reads == ["ingest_entity_similar"]


def test_run_entities_stop_remembering_past_the_cap(monkeypatch: Any) -> None:
    monkeypatch.setattr("graph.ingest.dedupe.MAX_REMEMBERED", 3)
    run = RunEntities(indexed=False)
    v = np.ones(4, dtype=np.float32)
    run.add([("a", "T", v), ("b", "T", v)])
    assert len(run) == 2 and run.vectors.shape == (2, 4) and not run.indexed
    run.add([("c", "T", v), ("d", "T", v)])
    assert run.indexed and len(run) == 0  # from now on the index answers for all


def test_a_document_that_merges_entities_starts_a_new_write_segment() -> None:
    class Steps:
        def __init__(self) -> None:
            self.names: list[str] = []

        def read(self, query: str, params: Any = None) -> list[dict[str, Any]]:
            return []

        def write(self, steps: Sequence[tuple[str, Any]]) -> list[list[dict[str, Any]]]:
            self.names = [name for name, _ in steps]
            return [[{"id": d["id"], "version": 1} for d in p["docs"]]
                    if name == "ingest_documents" else [] for name, p in steps]

    def doc(i: str, merges: tuple[tuple[str, str], ...] = ()) -> DocWrite:
        source = SourceDocument(i, f"u:{i}", i, "Acme.", source=i)
        chunk = ChunkDraft(f"{i}#0", i, 0, 0, 5, "Acme.")
        return DocWrite(DocumentGraph(doc=source, chunks=(chunk,), entities=(), mentions=(),
                                      relations=(), chunk_vectors=((1.0,),)),
                        {}, merges=merges)

    store = Steps()
    versions = write_documents(store, [doc("a"), doc("b"), doc("c", (("e:x", "e:y"),)),
                                       doc("d")], run_id="r", embedding_model="m@1")
    assert versions == [1, 1, 1, 1]
    # a and b in one segment; c (which merges) and d in the next; no empty steps; the
    # graph's content token renewed last (retrieval's snapshots compare it)
    assert store.names == [
        "delete_document_evidence", "ingest_documents", "ingest_chunks",
        "delete_document_evidence", "ingest_merge_entities", "ingest_documents",
        "ingest_chunks", "delete_orphan_entities", "graph_state_touch"]


def test_short_texts_share_a_batch_and_precision_is_checked() -> None:
    assert texts_per_batch(32, 200) == 32 and texts_per_batch(32, 10) == 128
    assert texts_per_batch(32, 40) == 51
    assert resolve_precision("float32") == "float32"
    assert resolve_precision("auto") in {"float32", "bfloat16"}
    with pytest.raises(ModelError, match="not one of"):
        resolve_precision("fp8")


def _plan_cost(lengths: Sequence[int], batches: Sequence[Sequence[int]], pass_cost: int) -> int:
    return sum(max(lengths[i] for i in b) * len(b) + pass_cost for b in batches)


@pytest.mark.parametrize("seed", range(6))
def test_batch_plan_is_the_cheapest_cut_of_the_sorted_texts(seed: int) -> None:
    rng = np.random.default_rng(seed)
    lengths = [int(x) for x in rng.integers(3, 256, size=9)]
    batch_size, pass_cost = 3, 40
    plan = plan_batches(lengths, batch_size, pass_cost)
    assert sorted(i for b in plan for i in b) == list(range(9))  # each text once
    order = sorted(range(9), key=lambda i: (-lengths[i], i))
    assert [i for b in plan for i in b] == order  # longest first, ties by index
    best = None  # every way to cut the sorted texts into batches of at most 3 (longest >= 64)
    for mask in range(1 << 8):
        cuts = [0, *[k + 1 for k in range(8) if mask >> k & 1], 9]
        batches = [order[a:b] for a, b in pairwise(cuts)]
        if all(len(b) <= texts_per_batch(batch_size, lengths[b[0]]) for b in batches):
            cost = _plan_cost(lengths, batches, pass_cost)
            best = cost if best is None else min(best, cost)
    assert _plan_cost(lengths, plan, pass_cost) == best


def test_a_long_text_does_not_pad_short_ones() -> None:
    lengths = [12] * 40 + [250] + [14] * 40
    plan = plan_batches(lengths, 32)
    assert [40] in plan  # the long chunk alone, not with 31 entity names padded to it
    assert len(plan) == 2 and plan == plan_batches(list(lengths), 32)  # deterministic


def test_a_process_setting_is_put_back_by_its_last_user_however_they_overlap() -> None:
    value = {"v": 5.0}
    setting = ProcessSetting(lambda: value["v"], lambda v: value.update(v=v))
    a, b = setting.using(0.5), setting.using(0.5)
    a.__enter__()
    b.__enter__()  # a second ingestion starts while the first runs
    assert value["v"] == 0.5
    a.__exit__(None, None, None)  # the first ends: the second still needs the setting
    assert value["v"] == 0.5
    b.__exit__(None, None, None)
    assert value["v"] == 5.0  # not the 0.5 a plain save-and-restore would have kept
    with pytest.raises(RuntimeError), setting.using(0.1):
        assert value["v"] == 0.1
        raise RuntimeError("an ingestion fails")
    assert value["v"] == 5.0

"""Ingestion, composed: load -> chunk -> extract -> link -> relate -> embed -> write.

Three stages overlap: the caller's thread analyses documents with spaCy, running
ahead, while a worker embeds earlier batches (torch releases the GIL while it
computes) and another writes earlier ones to Neo4j, which is how the whole
pipeline gets close to the slower of the NLP-only and embedding-only
throughputs.  Once analysis is done, more workers embed the backlog, one per
free core.  Analysed batches go to the embedder ``EMBED_CHUNKS`` chunks at a
time, since larger batches embed faster.
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from itertools import islice

from graph.ingest.chunk import chunk_document
from graph.ingest.dedupe import Created, RunEntities, near_duplicates_planned, remap
from graph.ingest.link import KnownEntity, Registry, link_document, mention_keys, prefetched
from graph.ingest.load import LoadFailure
from graph.ingest.relate import comentions, relate_document
from graph.ingest.write import DocWrite, document_states, write_documents
from graph.model import DocumentGraph, SourceDocument
from graph.ports import Embedder, EntityExtractor, GraphStore
from graph.process import ProcessSetting
from ontology import Ontology
from ontology.errors import GraphUnavailable, KgragError

PIPELINE_VERSION = "kgrag-ingest/1"
# Hand-overs analysed ahead of writing (~1,000 chunks): spaCy, the faster stage, runs
# ahead instead of idling a core (at 2 it waited ~30 % of the run).
MAX_BATCHES_IN_FLIGHT = 16
GIL_SWITCH_S = 0.0005  # how soon a thread waiting for the GIL gets it during ingestion
_GIL_SWITCH = ProcessSetting(sys.getswitchinterval, sys.setswitchinterval)
EMBED_CHUNKS = 64  # analysed chunks handed to the embedder at once
EMBED_FIRST = 16  # ... except the first time: the embedder's core idles until then


@dataclass(frozen=True, slots=True)
class IngestOptions:
    batch_docs: int = 16
    chunk_target_chars: int = 800
    chunk_overlap_sentences: int = 1
    entity_index: str = ""  # entity vector index for near-duplicate linking ("" = off)
    similarity_threshold: float = 0.92


@dataclass(slots=True)
class IngestReport:
    run_id: str
    documents: int = 0
    ingested: int = 0
    unchanged: int = 0
    chunks: int = 0
    entities: int = 0
    mentions: int = 0
    relations: int = 0
    comentions: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)
    _timing: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add_time(self, stage: str, seconds: float) -> None:
        with self._timing:  # embedding workers add at the same time
            self.timings_s[stage] = round(self.timings_s.get(stage, 0.0) + seconds, 4)

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id, "documents": self.documents, "ingested": self.ingested,
            "unchanged": self.unchanged, "chunks": self.chunks, "entities": self.entities,
            "mentions": self.mentions, "relations": self.relations,
            "comentions": self.comentions,
            "failed": [{"source": s, "reason": r} for s, r in self.failed],
            "versions": self.versions, "timings_s": self.timings_s,
        }


Progress = Callable[[IngestReport], None]


@dataclass(frozen=True, slots=True)
class Ports:
    store: GraphStore
    extractor: EntityExtractor
    embedder: Embedder  # the active embedding space's model
    ontology: Ontology
    also: tuple[Embedder, ...] = ()  # models of spaces being built: they get vectors too


def ingest(
    items: Iterable[SourceDocument | LoadFailure],
    ports: Ports,
    options: IngestOptions = IngestOptions(),
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest documents; unchanged ones are skipped, failures reported, never partial."""
    report = IngestReport(run_id=f"run:{uuid.uuid4()}")
    ports.store.write([("ingest_run_start", {
        "id": report.run_id, "pipeline_version": PIPELINE_VERSION,
        "embedding_model": ports.embedder.model_id,
        "embedding_precision": ports.embedder.precision,
        "spacy_model": ports.extractor.model_id,
        "ontology_version": ports.ontology.version})])
    registry = Registry()
    run_entities = RunEntities(indexed=bool(ports.store.read("ingest_any_entity")))
    seen: set[str] = set()
    in_flight: deque[Future[None]] = deque()
    workers = max(1, ports.embedder.idle_workers)
    # spaCy holds the GIL for long stretches; torch drops it for every operation and
    # needs it back after each: with Python's default 5 ms switch interval the
    # embedder waits in a convoy behind spaCy (800 chunks: ~31 s -> ~27 s at 0.5 ms).
    with _GIL_SWITCH.using(min(sys.getswitchinterval(), GIL_SWITCH_S)), \
            ThreadPoolExecutor(workers, thread_name_prefix="kgrag-embed") as embed_pool, \
            ThreadPoolExecutor(1, thread_name_prefix="kgrag-write") as write_pool:
        try:
            waiting: list[_Pending] = []  # analysed, not yet handed to the embedder
            cores = threading.Semaphore(1)  # embedding workers computing at once

            def hand_over() -> None:
                nonlocal waiting
                embedding = embed_pool.submit(_embed, waiting, ports, report, cores)
                in_flight.append(write_pool.submit(_write, embedding, ports, options, report,
                                                   run_entities, progress))
                waiting = []

            for batch in _batches(items, options.batch_docs):
                docs = _admit(batch, ports.store, seen, report)
                waiting += _analyse(docs, ports, options, registry, report)
                # Analysed batches go to the embedder together: bigger batches of similar-
                # length texts embed faster.  By count, not by whether the embedder is
                # idle: what is embedded together changes the vectors in the 5th digit
                # (bfloat16), and re-ingesting a corpus must give the same vectors.
                # (``in_flight`` is empty only until the first hand-over.)
                if sum(len(p.graph.chunks) for p in waiting) >= (
                        EMBED_CHUNKS if in_flight else EMBED_FIRST):
                    hand_over()
                while len(in_flight) > MAX_BATCHES_IN_FLIGHT:
                    in_flight.popleft().result()
            if waiting:
                hand_over()
            # Analysis is done: more workers embed the backlog, each on its own core(s).
            cores.release(workers - 1)
            while in_flight:
                in_flight.popleft().result()
        finally:
            for f in in_flight:
                f.cancel()
            ports.store.write([("ingest_run_finish", {
                "id": report.run_id, "stats": _stats_json(report)})])
    return report


def _batches(items: Iterable[SourceDocument | LoadFailure], n: int) -> Iterator[list[
        SourceDocument | LoadFailure]]:
    it = iter(items)
    while batch := list(islice(it, n)):
        yield batch


def _admit(batch: Sequence[SourceDocument | LoadFailure], store: GraphStore, seen: set[str],
           report: IngestReport) -> list[SourceDocument]:
    """Drop failures (reported), duplicates within the run, and unchanged documents."""
    docs: list[SourceDocument] = []
    for item in batch:
        report.documents += 1
        if isinstance(item, LoadFailure):
            report.failed.append((item.source, item.reason))
        elif item.id in seen:
            report.failed.append((item.source, f"duplicate document id {item.id!r} in this run"))
        else:
            seen.add(item.id)
            docs.append(item)
    states = document_states(store, [d.id for d in docs])
    fresh = []
    for d in docs:
        state = states.get(d.id)
        if state is not None and state.sha256 == d.sha256:
            report.unchanged += 1
            report.versions[d.id] = state.version
        else:
            fresh.append(d)
    return fresh


@dataclass(frozen=True, slots=True)
class _Pending:
    graph: DocumentGraph
    keys: dict[str, tuple[str, ...]]
    renamed: frozenset[str]
    merges: tuple[tuple[str, str], ...]
    new_ids: frozenset[str]


def _analyse(docs: Sequence[SourceDocument], ports: Ports, options: IngestOptions,
             registry: Registry, report: IngestReport) -> list[_Pending]:
    if not docs:
        return []
    t0 = time.perf_counter()
    analyses = ports.extractor.analyse([d.text for d in docs])
    report.add_time("extract", time.perf_counter() - t0)
    t0 = time.perf_counter()
    # one lookup of stored entities for the batch (keys this run has not met yet)
    wanted = sorted({k for a in analyses for k in mention_keys(a)} - registry.by_key.keys())
    lookup = prefetched(_lookup(ports.store), wanted)
    out: list[_Pending] = []
    for doc, analysis in zip(docs, analyses, strict=True):
        chunks = chunk_document(doc, analysis.sentences, target_chars=options.chunk_target_chars,
                                overlap_sentences=options.chunk_overlap_sentences)
        if not chunks:
            report.failed.append((doc.source or doc.id, "no text to index"))
            continue
        linked = link_document(analysis, chunks, lookup=lookup, registry=registry)
        relations = relate_document(analysis, chunks, linked.entity_of_mention, ports.ontology)
        for e in linked.entities:  # the type becomes a Neo4j label: allow-listed only
            ports.ontology.check_label(e.type)
        types = {e.id: e.type for e in linked.entities}
        dg = DocumentGraph(doc=doc, chunks=tuple(chunks), entities=linked.entities,
                           mentions=linked.mentions, relations=relations,
                           comentions=comentions(linked.mentions, types))
        out.append(_Pending(dg, dict(linked.keys), linked.renamed, linked.merges,
                            linked.new_ids))
    report.add_time("chunk_link_relate", time.perf_counter() - t0)
    return out


def _lookup(store: GraphStore) -> Callable[[Sequence[str]], list[KnownEntity]]:
    def lookup(keys: Sequence[str]) -> list[KnownEntity]:
        rows = store.read("ingest_entity_lookup", {"keys": list(keys)})
        return [KnownEntity(r["id"], r["type"], tuple(r["keys"])) for r in rows]

    return lookup


def _embed(items: Sequence[_Pending], ports: Ports, report: IngestReport,
           cores: threading.Semaphore) -> list[tuple[_Pending, DocumentGraph]]:
    """Stage 2: vectors for the batch's chunks and new entities, in every space written."""
    if not items:
        return []
    with cores:
        return _embed_now(items, ports, report)


def _embed_now(items: Sequence[_Pending], ports: Ports,
               report: IngestReport) -> list[tuple[_Pending, DocumentGraph]]:
    t0, cpu0 = time.perf_counter(), time.thread_time()
    chunk_texts = [c.text for p in items for c in p.graph.chunks]
    # Only entities no earlier document named need a vector: a stored entity keeps its own.
    entity_texts = [entity_text(e.name, e.type, e.aliases) for p in items
                    for e in p.graph.entities if e.id in p.new_ids]
    per_space = [(emb.model_id, _split(items, emb.embed(chunk_texts + entity_texts).tolist(),
                                       len(chunk_texts)))
                 for emb in (ports.embedder, *ports.also)]
    report.add_time("embed", time.perf_counter() - t0)
    # CPU seconds of the embedding thread: below "embed", it waited for a core or the GIL
    report.add_time("embed_cpu", time.thread_time() - cpu0)
    (_, main), extra = per_space[0], per_space[1:]
    return [(p, replace(p.graph, chunk_vectors=main[i][0], entity_vectors=main[i][1],
                        extra_vectors=tuple((m, v[i][0], v[i][1]) for m, v in extra)))
            for i, p in enumerate(items)]


Vectors = tuple[tuple[float, ...], ...]


def _split(items: Sequence[_Pending], vectors: list[list[float]],
           n_chunks: int) -> list[tuple[Vectors, Vectors]]:
    """Per document: its chunk vectors and its entity vectors (empty for known ones)."""
    out: list[tuple[Vectors, Vectors]] = []
    ci, ei = 0, n_chunks
    for p in items:
        nc = len(p.graph.chunks)
        chunk_vectors = tuple(tuple(v) for v in vectors[ci:ci + nc])
        ci += nc
        entity_list: list[tuple[float, ...]] = []
        for e in p.graph.entities:
            if e.id in p.new_ids:
                entity_list.append(tuple(vectors[ei]))
                ei += 1
            else:
                entity_list.append(())
        out.append((chunk_vectors, tuple(entity_list)))
    return out


def _write(embedded: Future[list[tuple[_Pending, DocumentGraph]]], ports: Ports,
           options: IngestOptions, report: IngestReport, run_entities: RunEntities,
           progress: Progress | None) -> None:
    """Stage 3: near-duplicate linking, then the batch in one transaction.

    If the batch's transaction fails, each document is retried in its own, so a bad
    document is reported alone and never leaves partial data behind.
    """
    items = embedded.result()
    if not items:
        return
    t0 = time.perf_counter()
    writes, created = _dedupe(items, options, ports.store, run_entities)
    report.add_time("dedupe", time.perf_counter() - t0)
    try:
        versions: list[int | str] = list(write_documents(
            ports.store, writes, run_id=report.run_id,
            embedding_model=ports.embedder.model_id))
    except GraphUnavailable:
        raise
    except KgragError:  # the batch is rolled back: one document per transaction
        versions = [_write_one(ports, report, w) for w in writes]
    for w, version, new in zip(writes, versions, created, strict=True):
        dg = w.graph
        if isinstance(version, str):
            report.failed.append((dg.doc.source or dg.doc.id, version))
            continue
        run_entities.add(new)
        report.ingested += 1
        report.versions[dg.doc.id] = version
        report.chunks += len(dg.chunks)
        report.entities += len(dg.entities)
        report.mentions += len(dg.mentions)
        report.relations += len(dg.relations)
        report.comentions += len(dg.comentions)
    report.add_time("write", time.perf_counter() - t0)
    if progress is not None:
        progress(report)


def _write_one(ports: Ports, report: IngestReport, w: DocWrite) -> int | str:
    """One document in its own transaction: its version, or why it failed."""
    try:
        return write_documents(ports.store, [w], run_id=report.run_id,
                               embedding_model=ports.embedder.model_id)[0]
    except GraphUnavailable:
        raise
    except KgragError as exc:  # this document is rolled back; the others go on
        return exc.detail


def _dedupe(items: Sequence[tuple[_Pending, DocumentGraph]], options: IngestOptions,
            store: GraphStore, run_entities: RunEntities) -> tuple[list[DocWrite], list[Created]]:
    """The batch's documents with near-duplicate new entities folded into stored ones,
    and per document the entities it creates (for ``run_entities`` once written)."""
    if not options.entity_index:
        return [DocWrite(dg, p.keys, p.renamed, p.merges) for p, dg in items], [[] for _ in items]
    mappings, created = near_duplicates_planned(
        store, index=options.entity_index, threshold=options.similarity_threshold,
        docs=[(dg.entities, dg.entity_vectors, p.new_ids) for p, dg in items], run=run_entities)
    out = []
    for (p, dg), mapping in zip(items, mappings, strict=True):
        merged: dict[str, tuple[str, ...]] = {}
        for k, v in p.keys.items():
            target = mapping.get(k, k)
            merged[target] = tuple(sorted({*merged.get(target, ()), *v}))
        out.append(DocWrite(remap(dg, mapping), merged, p.renamed, p.merges))
    return out, created


def entity_text(name: str, etype: str, aliases: Sequence[str]) -> str:
    """What an entity's vector embeds: its name, type and a few aliases."""
    extra = f" (also {', '.join(aliases[:3])})" if aliases else ""
    return f"{name}, a {etype}{extra}"


def _stats_json(report: IngestReport) -> str:
    import json

    return json.dumps({k: v for k, v in report.as_dict().items() if k != "versions"})

"""Build concrete adapters from Settings: used only by create_app and the CLI."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from graph.embed import SentenceTransformerEmbedder, model_id_for
from graph.retrieve.snapshot import SnapshotCache
from graph.schema import IndexNames
from graph.spaces import Space, active_space, building_spaces
from graph.store import Neo4jStore
from ontology import Ontology, load_ontology
from ontology.errors import GraphUnavailable, ModelError
from service.settings import Settings, kgrag_home

T = TypeVar("T")


class Lazy(Generic[T]):
    """Build an expensive adapter (a model) once, on first use, thread-safely."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._factory()
        return self._value

    @property
    def loaded(self) -> bool:
        return self._value is not None


def build_store(settings: Settings) -> Neo4jStore:
    return Neo4jStore(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password,
                      settings.neo4j_database)


def build_embedder(settings: Settings, model: str | None = None) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(model or settings.embedding_model,
                                       batch_size=settings.embedding_batch_size,
                                       threads=settings.embedding_threads,
                                       precision=settings.embedding_precision,
                                       onnx_dir=(str(kgrag_home() / "onnx")
                                                 if settings.embedding_onnx else ""))


def build_ontology(settings: Settings) -> Ontology:
    return load_ontology(settings.ontology_paths)


def build_extractor(settings: Settings, ontology: Ontology):
    from graph.nlp import SpacyExtractor

    return SpacyExtractor(settings.spacy_model, ruler_patterns=ontology.ruler_patterns(),
                          ner_label_map=ontology.ner_label_map,
                          batch_size=settings.spacy_batch_size)


def build_generator(settings: Settings):
    """litellm when a model is configured, else the offline extractive generator."""
    if settings.llm_model:
        from service.answer.llm import LiteLLMGenerator

        if settings.llm_model.startswith("local/"):  # the in-process llama.cpp provider
            from service.answer.local import register_local_provider

            register_local_provider()

        return LiteLLMGenerator.from_settings(settings)
    from service.answer import ExtractiveGenerator

    return ExtractiveGenerator()


@dataclass
class Services:
    """The adapters of one app or CLI run; models load on first use."""

    settings: Settings
    store: Neo4jStore
    ontology: Ontology
    embedder: Lazy[SentenceTransformerEmbedder] = field(init=False)
    extractor: Lazy = field(init=False)
    generator: Lazy = field(init=False)

    snapshots: SnapshotCache | None = field(init=False)  # None: graph_snapshot is off
    _embedders: dict[str, Lazy[SentenceTransformerEmbedder]] = field(init=False)
    _embedders_lock: threading.Lock = field(init=False)

    def __post_init__(self) -> None:
        self.embedder = Lazy(lambda: build_embedder(self.settings))
        self.extractor = Lazy(lambda: build_extractor(self.settings, self.ontology))
        self.generator = Lazy(lambda: build_generator(self.settings))
        self._embedders = {self.settings.embedding_model: self.embedder}
        self._embedders_lock = threading.Lock()
        self.snapshots = (SnapshotCache(self.store, sorted(self.ontology.entity_relation_types),
                                        self.settings.graph_snapshot_max_chunks)
                          if self.settings.graph_snapshot else None)

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        return cls(settings=settings, store=build_store(settings),
                   ontology=build_ontology(settings))

    def default_space(self) -> Space:
        """The space of the configured model: the one ``db init`` starts a graph with."""
        embedder = self.embedder.get()
        return Space.for_model(self.settings.embedding_model, embedder.model_id,
                               embedder.dimension)

    def active_space(self) -> Space:
        space = active_space(self.store)
        if space is None:
            raise GraphUnavailable("no active embedding space: run `kgrag db init`")
        return space

    def embedder_for(self, space: Space) -> SentenceTransformerEmbedder:
        """The model of ``space``, loaded once; refuses one whose files have changed
        since the space was built (its vectors would no longer match its queries)."""
        embedder = self.embedder_for_model(space.model)
        if embedder.model_id != space.model_id:
            raise ModelError(f"embedding space {space.id} was built with {space.model_id}, "
                             f"but {space.model} now loads {embedder.model_id}")
        return embedder

    def embedder_for_model(self, model: str) -> SentenceTransformerEmbedder:
        """A model by name or folder, loaded once per Services."""
        with self._embedders_lock:
            lazy = self._embedders.setdefault(
                model, Lazy(lambda: build_embedder(self.settings, model)))
        return lazy.get()

    def index_names(self) -> IndexNames:
        """The active space's indexes (the configured model's before ``db init``)."""
        space = active_space(self.store)
        if space is not None:
            return space.names
        return IndexNames.for_model(model_id_for(self.settings.embedding_model))

    def close(self) -> None:
        self.store.close()


def ingest_ports(svc: Services):
    """The ingestion pipeline's ports, from the app's or the CLI's Services."""
    from graph.ingest.pipeline import Ports

    active = svc.active_space()
    return Ports(store=svc.store, extractor=svc.extractor.get(),
                 embedder=svc.embedder_for(active), ontology=svc.ontology,
                 also=tuple(svc.embedder_for(s) for s in building_spaces(svc.store)
                            if s.id != active.id))


def ingest_options(svc: Services, batch_size: int | None = None):
    from graph.ingest.pipeline import IngestOptions

    settings = svc.settings
    names = svc.active_space().names
    return IngestOptions(batch_docs=batch_size or 16,
                         chunk_target_chars=settings.chunk_target_chars,
                         chunk_overlap_sentences=settings.chunk_overlap_sentences,
                         entity_index=names.entity_vector,
                         similarity_threshold=settings.link_similarity_threshold)


def retrieve_ports(svc: Services, space: Space | None = None, *, snapshots: bool = True):
    """Ports reading ``space`` (default: the active one, resolved now, once: a retrieval
    that started before an activation finishes on the space it started with).

    ``snapshots=False`` for a process that answers one question: copying the graph
    would cost more than it saves."""
    from graph.retrieve.pipeline import RetrievePorts

    space = space or svc.active_space()
    return RetrievePorts(store=svc.store, extractor=svc.extractor.get(),
                         embedder=svc.embedder_for(space), ontology=svc.ontology,
                         names=space.names, snapshots=svc.snapshots if snapshots else None)

"""Embedding spaces: versioned vectors with side-by-side build, atomic switch, rollback.

An *embedding space* is one embedding model (name, version, dimension).  Its
vectors live in their own node property ``embedding_<space>`` on every Chunk and
Entity, with their own two vector indexes, so two spaces coexist while one is
built.  ``(:EmbeddingSpace {id, model, model_id, dimension, state, previous})``
records them; ``state`` is ``building`` (vectors being written), ``ready`` (complete,
inactive) or ``active``, and exactly one is active: retrieval reads only that one.

* :func:`build` embeds every chunk and entity that lacks a vector in the space, in
  batches; each batch's vectors and the progress counters commit in one
  transaction, and batches are found by "no vector yet" in id order, so a build
  that crashed resumes where it stopped without redoing a finished batch.
* :func:`activate` flips the active pointer in one transaction (under a write
  lock on every space node); a retrieval that already read the old space
  finishes on it, because it resolved the space once, at its start.
* :func:`rollback` re-activates the space the active one replaced.

The space id is derived from the model id (``all-MiniLM-L6-v2@gt-0.1.0`` ->
``all_minilm_l6_v2_gt_0_1_0``), so the same model always names the same space.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from graph.ports import Embedder
from graph.schema import IndexNames, space_slug
from graph.store import Neo4jStore
from ontology.errors import ConflictError, InvalidInputError, NotFoundError

STATES = ("building", "ready", "active")
BATCH = 256
_LEGACY_BATCH = 5_000


@dataclass(frozen=True, slots=True)
class Space:
    """One embedding space, as recorded in the graph."""

    id: str
    model: str  # what loads the model: a packaged model's name or a folder path
    model_id: str  # name@version
    dimension: int
    state: str = "building"
    previous: str | None = None  # the space this one replaced when it was activated
    created_at: str | None = None
    activated_at: str | None = None
    built_at: str | None = None
    chunks_done: int = 0
    entities_done: int = 0
    batches_done: int = 0

    @classmethod
    def for_model(cls, model: str, model_id: str, dimension: int) -> Space:
        return cls(id=space_slug(model_id), model=model, model_id=model_id,
                   dimension=dimension)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Space:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in row.items() if k in known})

    @property
    def names(self) -> IndexNames:
        return IndexNames.for_model(self.model_id)

    @property
    def vector_property(self) -> str:
        return self.names.vector_property

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__} | {
            "property": self.vector_property, "chunk_index": self.names.chunk_vector,
            "entity_index": self.names.entity_vector}


def list_spaces(store: Neo4jStore) -> list[Space]:
    return [Space.from_row(r["space"]) for r in store.read("space_list")]


def get_space(store: Neo4jStore, space_id: str) -> Space:
    for s in list_spaces(store):
        if s.id == space_id:
            return s
    known = ", ".join(s.id for s in list_spaces(store)) or "none"
    raise NotFoundError(f"no embedding space {space_id!r} (known: {known})")


def active_space(store: Neo4jStore) -> Space | None:
    rows = store.read("space_active")
    if len(rows) > 1:  # cannot happen through activate(); say so rather than guess
        raise ConflictError(f"{len(rows)} embedding spaces are marked active; "
                            "run `kgrag embeddings activate SPACE` to repair")
    return Space.from_row(rows[0]["space"]) if rows else None


def building_spaces(store: Neo4jStore) -> list[Space]:
    """Spaces being built: ingestion writes their vectors too, so none is missed."""
    return [s for s in list_spaces(store) if s.state == "building"]


def ensure_indexes(store: Neo4jStore, space: Space) -> None:
    """The space's two vector indexes, on its own property, unquantized (re-made if an
    index of that name indexes another property, as those of pre-space databases did,
    another dimension, or quantized vectors)."""
    names = space.names
    existing = {r["name"]: r for r in store.read("schema_vector_index_config")}
    for query, name in (("schema_vector_chunk", names.chunk_vector),
                        ("schema_vector_entity", names.entity_vector)):
        found = existing.get(name)
        if found is not None and (found["properties"] != [names.vector_property]
                                  or found["dimension"] != space.dimension
                                  or found["quantized"]):
            store.run_auto("schema_drop_index", {"name": name})
        store.run_ddl(query, {"property": names.vector_property},
                      {"name": name, "dim": space.dimension})


def rebuild_indexes(store: Neo4jStore, space: Space, *, timeout_s: int = 3600) -> float:
    """Drop and re-create the space's two vector indexes; seconds it took.

    An index written by many transactions is many small Lucene segments, each
    searched on its own: at 10k chunks ingested in batches a vector query took
    ~30 ms, and 6 ms after a rebuild (bench/retrieve.py).  Neo4j offers no merge,
    and refuses a second index on the same property, so this is drop + create.
    Queries that arrive meanwhile wait until the new index is online (measured:
    they block, then answer in full); writes go on.
    """
    t0 = time.perf_counter()
    for name in (space.names.chunk_vector, space.names.entity_vector):
        store.run_auto("schema_drop_index", {"name": name})
    ensure_indexes(store, space)
    store.run_auto("schema_await_indexes", {"timeout_s": timeout_s})
    return time.perf_counter() - t0


def bootstrap(store: Neo4jStore, default: Space) -> Space:
    """At ``db init``: with no space yet, register ``default`` as the active one (moving
    any pre-space ``embedding`` vectors into its property); else keep what exists.
    Ensures every space's indexes.  Returns the active space."""
    spaces = list_spaces(store)
    if not spaces:
        store.write([("space_register", {"space": _props(replace(default, state="active"))}),
                     ("space_lock", {}), ("space_activate", {"id": default.id})])
        while store.write([("space_migrate_legacy", {
                "property": default.vector_property, "batch": _LEGACY_BATCH}),
                ("graph_state_touch", {})])[0][0]["moved"]:
            pass
        spaces = list_spaces(store)
    for s in spaces:
        ensure_indexes(store, s)
    active = active_space(store)
    if active is None:
        raise ConflictError("no embedding space is active; run `kgrag embeddings activate`")
    return active


def register(store: Neo4jStore, space: Space) -> Space:
    """Record a new space (state ``building``) and create its indexes; an existing space
    of the same id is returned as it is (a build resumes into it)."""
    if space.id in {s.id for s in list_spaces(store)}:
        return get_space(store, space.id)
    store.write([("space_register", {"space": _props(replace(space, state="building"))})])
    ensure_indexes(store, space)
    return get_space(store, space.id)


@dataclass
class BuildReport:
    space: str
    chunks: int = 0
    entities: int = 0
    batches: int = 0
    seconds: float = 0.0
    state: str = "building"

    def as_dict(self) -> dict[str, Any]:
        return {"space": self.space, "chunks": self.chunks, "entities": self.entities,
                "batches": self.batches, "seconds": round(self.seconds, 3),
                "state": self.state}


BatchHook = Callable[[BuildReport], None]


def build(store: Neo4jStore, space: Space, embedder: Embedder, *, batch: int = BATCH,
          entity_text: Callable[[str, str, Sequence[str]], str],
          on_batch: BatchHook | None = None, index_timeout_s: int = 600) -> BuildReport:
    """Embed every chunk and entity lacking a vector in ``space``; then mark it ready.

    Resumable: each batch (vectors + progress) is one transaction and the next batch
    is "the first ``batch`` ids with no vector", so after a crash nothing finished is
    embedded again.  A last pass from the start catches nodes that an ingestion run
    which did not yet know of this space wrote behind the cursor.
    """
    if embedder.model_id != space.model_id:
        raise InvalidInputError(f"space {space.id} is {space.model_id}, the embedder given "
                                f"is {embedder.model_id}")
    if embedder.dimension != space.dimension:
        raise InvalidInputError(f"space {space.id} has dimension {space.dimension}, the "
                                f"embedder {embedder.dimension}")
    if space.state != "building":
        raise ConflictError(f"space {space.id} is {space.state}, not building")
    report = BuildReport(space=space.id)
    t0 = time.perf_counter()
    prop = space.vector_property
    for _sweep in range(2):
        for kind, pending, setter in (
                ("chunks", "space_pending_chunks", "space_set_chunk_vectors"),
                ("entities", "space_pending_entities", "space_set_entity_vectors")):
            after = ""
            while True:
                rows = store.read(pending, {"after": after, "property": prop, "batch": batch})
                if not rows:
                    break
                texts = ([r["text"] for r in rows] if kind == "chunks" else
                         [entity_text(r["name"], r["type"], r["aliases"] or []) for r in rows])
                vectors = embedder.embed(texts)
                store.write([
                    (setter, {"property": prop, "rows": [
                        {"id": r["id"], "vector": v.tolist()} for r, v in zip(rows, vectors,
                                                                             strict=True)]}),
                    ("space_progress", {"id": space.id,
                                        "chunks": len(rows) if kind == "chunks" else 0,
                                        "entities": len(rows) if kind == "entities" else 0}),
                    ("graph_state_touch", {})])
                setattr(report, kind, getattr(report, kind) + len(rows))
                report.batches += 1
                after = rows[-1]["id"]
                if on_batch is not None:
                    on_batch(report)
    store.run_auto("schema_await_indexes", {"timeout_s": index_timeout_s})
    store.write([("space_set_state", {"id": space.id, "state": "ready"})])
    report.state = "ready"
    report.seconds = time.perf_counter() - t0
    return report


def activate(store: Neo4jStore, space_id: str) -> Space:
    """Make ``space_id`` the active space in one transaction; returns it."""
    space = get_space(store, space_id)
    if space.state == "building":
        missing = store.read("space_count_missing", {"property": space.vector_property})[0]
        raise ConflictError(f"space {space_id} is still building ({missing['chunks']} chunks "
                            f"and {missing['entities']} entities without vectors); run "
                            f"`kgrag embeddings build --model {space.model}` to finish it")
    ensure_indexes(store, space)
    store.run_auto("schema_await_indexes", {"timeout_s": 600})
    store.write([("space_lock", {}), ("space_activate", {"id": space_id})])
    return get_space(store, space_id)


def rollback(store: Neo4jStore) -> Space:
    """Re-activate the space the active one replaced."""
    current = active_space(store)
    if current is None or not current.previous:
        raise ConflictError("nothing to roll back to: the active space replaced no other")
    try:
        get_space(store, current.previous)
    except NotFoundError:
        raise ConflictError(f"cannot roll back: the previous space {current.previous} "
                            "was dropped") from None
    return activate(store, current.previous)


def drop(store: Neo4jStore, space_id: str, batch: int = 10_000) -> int:
    """Delete a space's vectors, indexes and record; refuses the active space.
    Returns how many node properties were removed."""
    space = get_space(store, space_id)
    if space.state == "active":
        raise ConflictError(f"space {space_id} is active; activate another one first")
    removed = 0
    while n := store.write([("space_drop_vectors", {
            "property": space.vector_property, "batch": batch}),
            ("graph_state_touch", {})])[0][0]["removed"]:
        removed += n
    for name in (space.names.chunk_vector, space.names.entity_vector):
        store.run_auto("schema_drop_index", {"name": name})
    if not store.write([("space_lock", {}), ("space_delete", {"id": space_id})])[1]:
        raise ConflictError(f"space {space_id} became active while it was being dropped")
    return removed


def _props(space: Space) -> dict[str, Any]:
    return {"id": space.id, "model": space.model, "model_id": space.model_id,
            "dimension": space.dimension, "state": space.state}

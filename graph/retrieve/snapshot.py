"""An in-process copy of what the expand stage reads, kept only while it is current.

The expand stage asks the graph three things (:class:`graph.retrieve.reader.
GraphReader`).  As Cypher they cost 5-25 ms each at 10k chunks, most of it the
server's interpreter and decoding rows in the driver, and a question asks five
to seven of them.  :class:`GraphSnapshot` answers the same questions, row for
row and with the same access-control filters, from numpy arrays.

**Current, or not used.**  Every write that changes chunks, entities, mentions,
relations or vectors ends by setting a new random token on the one
``(:GraphState {id: 'content'})`` node, in the same transaction
(``graph_state_touch.cypher``).  A snapshot records the token it was loaded
under and is used only by a retrieval that read the same token; otherwise the
retrieval asks Neo4j, and a background thread loads a new snapshot.  The load
is one read transaction that reads the token first and last and starts again
if they differ.  Without the node (a graph from before snapshots, until ``db
init``) no snapshot is ever used.

**Access control.**  A chunk is readable when one of its ``acl`` groups is the
principal's, a relation when one of the groups copied from its evidence chunk
is: the same tests as the Cypher.  The chunks finally shown, and every chunk a
path quotes, are fetched by ``retrieve_chunks.cypher``, which checks the groups
once more in Neo4j.

Similarities are Neo4j's ``vector.similarity.cosine``, ``(1 + cos) / 2``, in
float32 like Lucene's; they agree with the server's to ~1e-7.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from graph.ports import Params, Row
from ontology.errors import KgragError

log = logging.getLogger(__name__)
Vector = npt.NDArray[np.float32]
VIEWS_KEPT = 32  # group sets whose readable-chunk masks are kept
LOAD_ATTEMPTS = 3


class SnapshotSource(Protocol):
    """A store that runs several read queries in one transaction."""

    def read(self, query: str, params: Params | None = None) -> list[Row]: ...

    def read_all(self, steps: Sequence[tuple[str, Params]],
                 vector_column: str = "") -> list[list[Row]]: ...


@dataclass(frozen=True, slots=True)
class _View:
    """What a set of groups may read: a mask over chunks, acl codes, mentions per entity."""

    readable: npt.NDArray[np.bool_]  # per chunk
    acl_codes: frozenset[int]  # readable acl lists (relations carry their chunk's)
    df: npt.NDArray[np.int64]  # per entity: readable mentions (as the Cypher counts)


class GraphSnapshot:
    """The graph's chunks (acl, vector), entities, mentions and typed relations."""

    def __init__(self, token: str, vector_property: str, chunks: Sequence[Row],
                 entities: Sequence[Row], mentions: Sequence[Row],
                 relations: Sequence[Row]) -> None:
        self.token = token
        self.vector_property = vector_property
        chunks = sorted((c for c in chunks if c["vector"] is not None), key=lambda c: c["id"])
        self.chunk_ids = [c["id"] for c in chunks]
        self._chunk = {c: i for i, c in enumerate(self.chunk_ids)}
        codes: dict[frozenset[str], int] = {}
        self._chunk_acl = np.array([codes.setdefault(frozenset(c["acl"] or ()), len(codes))
                                    for c in chunks], dtype=np.int64)
        dim = len(chunks[0]["vector"]) if chunks else 0
        self._vectors = (np.stack([np.asarray(c["vector"], dtype=np.float32) for c in chunks])
                         if chunks else np.zeros((0, dim), dtype=np.float32))
        self._norms = np.linalg.norm(self._vectors, axis=1)
        entities = sorted(entities, key=lambda e: e["id"])
        self.entity_ids = [e["id"] for e in entities]
        self._entity = {e: i for i, e in enumerate(self.entity_ids)}
        self._names = [e["name"] for e in entities]
        self._types = [e["type"] for e in entities]
        self._by_key: dict[str, list[int]] = {}
        for i, e in enumerate(entities):  # in id order
            for key in dict.fromkeys(e["keys"] or ()):
                self._by_key.setdefault(key, []).append(i)
        kept = [m for m in mentions if m["chunk_id"] in self._chunk and m["entity_id"] in
                self._entity]
        self._m_chunk = np.array([self._chunk[m["chunk_id"]] for m in kept], dtype=np.int64)
        self._m_entity = np.array([self._entity[m["entity_id"]] for m in kept], dtype=np.int64)
        self._m_start = np.array([m["char_start"] for m in kept], dtype=np.int64)
        self._m_end = np.array([m["char_end"] for m in kept], dtype=np.int64)
        # mentions by entity (then chunk, start) and by chunk (then entity, start)
        self._by_entity = np.lexsort((self._m_start, self._m_chunk, self._m_entity))
        self._entity_ptr = np.searchsorted(self._m_entity[self._by_entity],
                                           np.arange(len(self.entity_ids) + 1))
        self._by_chunk = np.lexsort((self._m_start, self._m_entity, self._m_chunk))
        self._chunk_ptr = np.searchsorted(self._m_chunk[self._by_chunk],
                                          np.arange(len(self.chunk_ids) + 1))
        self._relations = _adjacency(relations, self._entity, codes)
        self._acls: list[frozenset[str]] = list(codes)  # chunks' and relations' acls, by code
        self._views: OrderedDict[frozenset[str], _View] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def size(self) -> tuple[int, int, int]:
        """Chunks, entities, mentions."""
        return len(self.chunk_ids), len(self.entity_ids), len(self._m_chunk)

    def _view(self, groups: Sequence[str]) -> _View:
        key = frozenset(groups)
        with self._lock:
            view = self._views.get(key)
            if view is not None:
                self._views.move_to_end(key)
                return view
        codes = frozenset(i for i, acl in enumerate(self._acls) if acl & key)
        readable = np.isin(self._chunk_acl, np.array(sorted(codes), dtype=np.int64))
        df = np.bincount(self._m_entity[readable[self._m_chunk]],
                         minlength=len(self.entity_ids))
        view = _View(readable, codes, df)
        with self._lock:
            self._views[key] = view
            while len(self._views) > VIEWS_KEPT:
                self._views.popitem(last=False)
        return view

    def entities_by_keys(self, keys: Sequence[str], groups: Sequence[str]) -> list[Row]:
        """retrieve_entities_by_keys.cypher: entities with these normalised keys that a
        readable chunk mentions, with their df, in (key, id) order."""
        view = self._view(groups)
        return [{"key": key, "id": self.entity_ids[e], "name": self._names[e],
                 "type": self._types[e], "df": int(view.df[e])}
                for key in sorted(set(keys)) for e in self._by_key.get(key, ()) if view.df[e]]

    def chunk_entities(self, chunk_ids: Sequence[str], groups: Sequence[str],
                       skip_types: Sequence[str], df_cap: int) -> list[dict[str, Any]]:
        view, skip = self._view(groups), set(skip_types)
        rows = []
        for chunk_id in dict.fromkeys(chunk_ids):
            c = self._chunk.get(chunk_id)
            if c is None or not view.readable[c]:
                continue
            seen: set[int] = set()
            for m in self._by_chunk[self._chunk_ptr[c]:self._chunk_ptr[c + 1]]:
                e = int(self._m_entity[m])
                if e in seen or self._types[e] in skip:
                    continue
                seen.add(e)  # mentions are in start order: the first one stands for all
                rows.append({"chunk_id": chunk_id, "entity_id": self.entity_ids[e],
                             "name": self._names[e], "char_start": int(self._m_start[m]),
                             "char_end": int(self._m_end[m]), "df": min(int(view.df[e]), df_cap)})
        rows.sort(key=lambda r: (r["chunk_id"], r["entity_id"]))
        return rows

    def neighbours(self, frontier: Sequence[str], relation_types: Sequence[str],
                   groups: Sequence[str], skip_types: Sequence[str], *, budget: int,
                   per_node: int, df_cap: int) -> list[list[Any]]:
        view, skip, types = self._view(groups), set(skip_types), set(relation_types)
        found: list[tuple[tuple[Any, ...], list[Any]]] = []
        for src in frontier:
            taken = 0
            for key, (type_, forward, predicate, end, confidence, acl) in \
                    self._relations.get(src, ()):
                if taken == per_node:
                    break
                other = key[1]
                if type_ in types and acl in view.acl_codes and \
                        self._types[self._entity[other]] not in skip:
                    taken += 1
                    found.append(((src, *key), [src, other, type_, forward, predicate,
                                                 key[2], key[3], end, confidence]))
        # ORDER BY src, confidence DESC, dst, chunk_id, char_start
        found.sort(key=lambda x: x[0])
        rows = [row for _, row in found[:budget]]
        for row in rows:
            row.append(min(int(view.df[self._entity[row[1]]]), df_cap))
        return rows

    def entity_chunks(self, entity_ids: Sequence[str], embedding: Vector,
                      relation_embedding: Vector, groups: Sequence[str],
                      per_entity: int) -> list[list[Any]]:
        view = self._view(groups)
        picked = []
        for entity_id in dict.fromkeys(entity_ids):
            e = self._entity.get(entity_id)
            if e is None:
                continue
            ms = self._by_entity[self._entity_ptr[e]:self._entity_ptr[e + 1]]
            ms = ms[view.readable[self._m_chunk[ms]]]
            if len(ms):
                picked.append((entity_id, e, ms))
        if not picked:
            return []
        chunks = np.unique(np.concatenate([self._m_chunk[ms] for _, _, ms in picked]))
        sims = self._cosines(chunks, embedding)
        rel_sims = self._cosines(chunks, relation_embedding)
        out = []
        for entity_id, e, ms in picked:
            at = np.searchsorted(chunks, self._m_chunk[ms])
            # ORDER BY sim DESC, chunk_id, char_start (chunk indexes follow id order)
            order = np.lexsort((self._m_start[ms], self._m_chunk[ms], -sims[at]))[:per_entity]
            out.append([entity_id, self._names[e], [
                [self.chunk_ids[int(self._m_chunk[ms[i]])], int(self._m_start[ms[i]]),
                 int(self._m_end[ms[i]]), float(sims[at[i]]), float(rel_sims[at[i]])]
                for i in order]])
        return out

    def _cosines(self, chunks: npt.NDArray[np.int64], query: Vector) -> npt.NDArray[np.float32]:
        q = np.asarray(query, dtype=np.float32)
        cos = (self._vectors[chunks] @ q) / (self._norms[chunks] * np.float32(np.linalg.norm(q)))
        return ((np.float32(1.0) + cos) / np.float32(2.0)).astype(np.float32)


# ((-confidence, other, chunk_id, char_start), (type, forward, predicate, char_end,
#   confidence, acl code)): the first part is the Cypher's ORDER BY
Relation = tuple[tuple[float, str, str, int], tuple[str, bool, str, int, Any, int]]


def _adjacency(relations: Sequence[Row], entity: dict[str, int],
               codes: dict[frozenset[str], int]) -> dict[str, list[Relation]]:
    """Per entity, its relations both ways, in the Cypher's order.  A missing
    confidence sorts first, where Neo4j's DESC puts null."""
    adj: dict[str, list[Relation]] = {}
    for r in relations:
        if r["src"] not in entity or r["dst"] not in entity:
            continue
        acl = codes.setdefault(frozenset(r["acl"] or ()), len(codes))
        c = r["confidence"]
        key = -float(c) if c is not None else float("-inf")
        for a, b, forward in ((r["src"], r["dst"], True), (r["dst"], r["src"], False)):
            adj.setdefault(a, []).append(((key, b, r["chunk_id"], r["char_start"]), (
                r["type"], forward, r["predicate"], r["char_end"], c, acl)))
            if a == b:
                break  # a self-loop is one relationship from either end
    for rows in adj.values():
        rows.sort(key=lambda x: x[0])
    return adj


def read_token(store: SnapshotSource) -> str | None:
    """The graph's content token; None where the graph keeps none."""
    rows = store.read("graph_state_token")
    return rows[0]["token"] if rows else None


def load_snapshot(store: SnapshotSource, vector_property: str,
                  relation_types: Sequence[str]) -> GraphSnapshot | None:
    """A consistent snapshot, or None where the graph keeps no token."""
    for _ in range(LOAD_ATTEMPTS):
        first, chunks, entities, mentions, relations, last = store.read_all([
            ("graph_state_token", {}),
            ("snapshot_chunks", {"property": vector_property}),
            ("snapshot_entities", {}),
            ("snapshot_mentions", {}),
            ("snapshot_relations", {"types": list(relation_types)}),
            ("graph_state_token", {}),
        ], vector_column="vector")
        token = first[0]["token"] if first else None
        if token is None:
            return None
        if last and last[0]["token"] == token:  # no write committed while we read
            return GraphSnapshot(token, vector_property, chunks, entities, mentions, relations)
    return None


class SnapshotCache:
    """The current snapshot of each vector property, loaded in the background.

    :meth:`current` costs one small query (the token).  A stale or missing snapshot
    starts one loading thread and answers None meanwhile: the caller reads Neo4j.
    Graphs over ``max_chunks`` chunks are never copied.
    """

    def __init__(self, store: SnapshotSource, relation_types: Sequence[str],
                 max_chunks: int) -> None:
        self._store = store
        self._types = sorted(relation_types)
        self._max = max_chunks
        self._snapshots: dict[str, GraphSnapshot] = {}
        self._loading: set[str] = set()
        self._too_large: dict[str, str] = {}  # property -> token it was too large at
        self._lock = threading.Lock()

    def current(self, vector_property: str) -> GraphSnapshot | None:
        """The snapshot, if it is of the graph as it is now; else None (and a load starts)."""
        token = read_token(self._store)
        if token is None:
            return None
        with self._lock:
            snapshot = self._snapshots.get(vector_property)
            if snapshot is not None and snapshot.token == token:
                return snapshot
            if vector_property in self._loading or self._too_large.get(vector_property) == token:
                return None
            self._loading.add(vector_property)
        threading.Thread(target=self._load, args=(vector_property, token), daemon=True,
                         name="kgrag-snapshot").start()
        return None

    def refresh(self, vector_property: str) -> GraphSnapshot | None:
        """Load now unless the snapshot is current (evaluations and benchmarks, which
        want every question answered the same way)."""
        token = read_token(self._store)
        if token is None:
            return None
        with self._lock:
            snapshot = self._snapshots.get(vector_property)
        if snapshot is None or snapshot.token != token:
            self._load(vector_property, token)
        return self.current(vector_property)

    def _load(self, vector_property: str, token: str) -> None:
        try:
            chunks = self._store.read("snapshot_size")[0]["chunks"]
            if chunks > self._max:
                log.info("graph snapshot: %d chunks, over the limit of %d: reading Neo4j",
                         chunks, self._max)
                with self._lock:
                    self._too_large[vector_property] = token
                return
            t0 = time.perf_counter()
            snapshot = load_snapshot(self._store, vector_property, self._types)
            if snapshot is not None:
                with self._lock:
                    self._snapshots[vector_property] = snapshot
                log.info("graph snapshot of %s loaded: %d chunks, %d entities, %d mentions "
                         "in %.1f s", vector_property, *snapshot.size, time.perf_counter() - t0)
        except KgragError as exc:  # Neo4j went away: the next retrieval tries again
            log.warning("graph snapshot not loaded: %s", exc)
        finally:
            with self._lock:
                self._loading.discard(vector_property)

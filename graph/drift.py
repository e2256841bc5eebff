"""Drift checks between embedding spaces, or of one space against a stored reference.

Two questions an operator asks before and after a model change:

* **Would switching change what we retrieve?**  :func:`compare_spaces` takes a
  fixed probe sample of chunks (the first N by content hash, so the same chunks
  every run) and, for each, its nearest chunks in each space; it reports the
  mean overlap of those top-k lists, and, when the two spaces have the same
  dimension, the mean cosine between a chunk's two vectors (``1 - mean`` is the
  *cosine shift*).  Probe questions, when given, are embedded by both models and
  their top-k results compared the same way.
* **Has the active space drifted since we looked?**  :func:`record_reference`
  stores probe texts with their vectors and top-k results as ``(:DriftProbe)``
  nodes; :func:`check_reference` re-embeds them with the space's model as it loads
  today (a library or weights change shows as a cosine shift) and re-runs them
  against the graph as it is today (ingestion shows as lower top-k overlap).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graph.ports import Embedder, GraphStore
from graph.spaces import Space
from ontology.errors import InvalidInputError, NotFoundError

PROBE_CHARS = 300  # a probe chunk's pseudo-question: the start of its text


@dataclass(frozen=True, slots=True)
class DriftFigures:
    probes: int
    k: int
    topk_overlap: float  # mean |A ∩ B| / k over probes
    cosine_shift: float | None  # 1 - mean cosine of paired vectors; None if dims differ
    min_overlap: float

    def as_dict(self) -> dict[str, Any]:
        return {"probes": self.probes, "k": self.k, "topk_overlap": round(self.topk_overlap, 4),
                "min_overlap": round(self.min_overlap, 4),
                "cosine_shift": None if self.cosine_shift is None else round(self.cosine_shift,
                                                                              6)}


def compare_spaces(store: GraphStore, a: tuple[Space, Embedder], b: tuple[Space, Embedder], *,
                   sample: int, k: int, questions: Sequence[str] = ()) -> dict[str, Any]:
    """Figures for switching from space ``a`` to space ``b`` (each with its model)."""
    (sa, ea), (sb, eb) = a, b
    rows = store.read("drift_sample_chunks", {"a": sa.vector_property, "b": sb.vector_property,
                                              "n": sample})
    if not rows:
        raise NotFoundError(f"no chunk has vectors in both {sa.id} and {sb.id}; "
                            "build the candidate space first")
    va = np.asarray([r["va"] for r in rows], dtype=np.float32)
    vb = np.asarray([r["vb"] for r in rows], dtype=np.float32)
    ids = [r["id"] for r in rows]
    # k + 1 neighbours, the probe chunk itself dropped: its own nearest neighbour.
    na = _neighbours(store, sa, ids, va, k + 1)
    nb = _neighbours(store, sb, ids, vb, k + 1)
    overlaps = [_overlap([x for x in na[i] if x != i][:k], [x for x in nb[i] if x != i][:k], k)
                for i in ids]
    out: dict[str, Any] = {
        "active": sa.as_dict(), "candidate": sb.as_dict(),
        "chunks": _figures(overlaps, k, _shift(va, vb)).as_dict()}
    if questions:
        qa, qb = ea.embed(list(questions)), eb.embed(list(questions))
        keys = [f"q{i}" for i in range(len(questions))]
        ra, rb = _neighbours(store, sa, keys, qa, k), _neighbours(store, sb, keys, qb, k)
        out["questions"] = _figures([_overlap(ra[q], rb[q], k) for q in keys], k,
                                    _shift(qa, qb)).as_dict()
    return out


def record_reference(store: GraphStore, space: Space, embedder: Embedder, *, sample: int,
                     k: int, questions: Sequence[str] = ()) -> int:
    """Store the probe set (questions, or the start of N sampled chunks) with its vectors
    and top-k results in ``space`` as the reference; replaces an earlier one."""
    texts = list(dict.fromkeys(questions)) or _chunk_probes(store, space, sample)
    vectors = embedder.embed(texts)
    keys = [_probe_id(space, t) for t in texts]
    found = _neighbours(store, space, keys, vectors, k)
    n: int = store.write([("drift_record_probes", {"space": space.id, "rows": [
        {"id": key, "text": t, "vector": v.tolist(), "ids": found[key]}
        for key, t, v in zip(keys, texts, vectors, strict=True)]})])[0][0]["n"]
    return n


def check_reference(store: GraphStore, space: Space, embedder: Embedder) -> dict[str, Any]:
    """The space today against its stored reference (see :func:`record_reference`)."""
    probes = store.read("drift_list_probes", {"space": space.id})
    if not probes:
        raise NotFoundError(f"no drift reference for space {space.id}: record one with "
                            "`kgrag drift --record`, or compare with `--candidate SPACE`")
    k = max(len(p["ids"]) for p in probes) or 1
    now = embedder.embed([p["text"] for p in probes])
    then = np.asarray([p["vector"] for p in probes], dtype=np.float32)
    keys = [p["id"] for p in probes]
    found = _neighbours(store, space, keys, now, k)
    overlaps = [_overlap(p["ids"], found[p["id"]], k) for p in probes]
    return {"space": space.as_dict(), "recorded_at": probes[0]["recorded_at"],
            "reference": _figures(overlaps, k, _shift(then, now)).as_dict()}


def _chunk_probes(store: GraphStore, space: Space, sample: int) -> list[str]:
    rows = store.read("drift_sample_chunks", {"a": space.vector_property,
                                              "b": space.vector_property, "n": sample})
    if not rows:
        raise NotFoundError(f"space {space.id} has no chunk vectors to probe")
    return list(dict.fromkeys(r["text"][:PROBE_CHARS] for r in rows))


def _neighbours(store: GraphStore, space: Space, keys: Sequence[str], vectors: np.ndarray,
                k: int) -> dict[str, list[str]]:
    if vectors.shape[1] != space.dimension:
        raise InvalidInputError(f"vectors of dimension {vectors.shape[1]} cannot query space "
                                f"{space.id} (dimension {space.dimension})")
    rows = store.read("drift_neighbours", {"index": space.names.chunk_vector, "k": k, "rows": [
        {"key": key, "vector": v.tolist()} for key, v in zip(keys, vectors, strict=True)]})
    found = {r["key"]: list(r["ids"]) for r in rows}
    return {key: found.get(key, []) for key in keys}


def _overlap(a: Sequence[str], b: Sequence[str], k: int) -> float:
    return len(set(a[:k]) & set(b[:k])) / k


def _shift(a: np.ndarray, b: np.ndarray) -> float | None:
    """1 - mean cosine of paired rows; None when the spaces' dimensions differ."""
    if a.shape != b.shape:
        return None
    na = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    nb = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return float(1.0 - np.mean(np.sum(na * nb, axis=1)))


def _figures(overlaps: Sequence[float], k: int, shift: float | None) -> DriftFigures:
    return DriftFigures(probes=len(overlaps), k=k,
                        topk_overlap=float(np.mean(overlaps)) if overlaps else 0.0,
                        cosine_shift=shift, min_overlap=min(overlaps, default=0.0))


def _probe_id(space: Space, text: str) -> str:
    return "probe:" + hashlib.sha256(f"{space.id}\n{text}".encode()).hexdigest()[:24]

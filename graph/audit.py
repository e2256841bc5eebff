"""The audit trail: what a question run retrieved, answered and why, kept for review.

:func:`record_audit` persists one run in one transaction; :func:`get_audit` reads it
back with restricted evidence redacted for the reader; :func:`documents_changed_since`
says which documents the answer rests on have changed or gone since.

The record is durable by construction.  Re-ingesting a document deletes its chunks
(``DETACH DELETE``), which would take every relationship into them along, so the
audit does not rely on those relationships alone: the Query and Answer carry
JSON snapshots of what was retrieved and cited (with each chunk's ACL at the
time), and every provenance step is a ``PathStep`` node owned by the audit,
linked ``STEP_OF`` to the live Entity, Chunk or Document while that exists.
Chunk ids hash the chunk text, so a ``RETRIEVED`` edge that still exists points
at the very text that was used.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from graph.ports import GraphStore, Params, Row
from ontology.errors import InvalidInputError, NotFoundError

#: The version properties a Query carries (also kept together as JSON).
VERSION_KEYS = ("embedding_model", "embedding_space", "embedding_index", "spacy_model",
                "ontology_version", "pipeline_version",
                "prompt_version", "generator", "model")
_STEP_LINKS = ("entity_id", "chunk_id", "doc_id")  # what STEP_OF may point at
_SCALAR = (str, int, float, bool)


def record_audit(store: GraphStore, *, question: str, principal: str, groups: Sequence[str],
                 params: Mapping[str, Any], retrieval: Mapping[str, Any],
                 answer: Mapping[str, Any] | None, versions: Mapping[str, str]) -> str:
    """Persist one question run and return its audit id (the Query id, ``q:<uuid>``).

    ``retrieval`` is ``Retrieval.as_dict()``; ``answer`` is ``QAResult.as_dict()`` (or
    None when nothing was generated).  Quotes are re-cut from the stored chunk text,
    so a masked display quote never reaches the record.  One transaction.
    """
    _check_groups(groups)
    query_id, answer_id = f"q:{uuid.uuid4()}", f"a:{uuid.uuid4()}"
    chunks = list(retrieval.get("chunks") or [])
    paths = _merge_paths(retrieval.get("paths") or [], (answer or {}).get("paths") or [])
    citations = list((answer or {}).get("citations") or [])
    ids = {c["id"] for c in chunks} | {c["chunk_id"] for c in citations}
    ids |= {cid for p in paths for cid in _path_chunk_ids(p)}
    live = {r["id"]: r for r in store.read("audit_chunk_evidence", {"ids": sorted(ids)})}
    doc_sha = _document_shas(paths)
    retrieved = [_retrieved_row(c, live.get(c["id"]), doc_sha) for c in chunks]
    mode = retrieval.get("mode", "")
    merged = {**{k: (answer or {}).get(k) for k in ("generator", "model", "prompt_version")},
              **dict(versions)}
    query_props: dict[str, Any] = {
        "id": query_id, "text": question, "principal": principal, "groups": list(groups),
        "params": _json(params), "mode": str(getattr(mode, "value", mode)),
        "versions": _json(merged), "retrieved": _json(retrieved),
        **{k: str(merged[k]) for k in VERSION_KEYS if merged.get(k) is not None}}
    steps: list[tuple[str, Params]] = [
        ("audit_create_query", {"props": query_props}),
        ("audit_link_retrieved", {"query_id": query_id, "rows": [
            r for r in retrieved if r["chunk_id"] in live]})]
    cited: set[str] = set()
    if answer is not None:
        cites = [_citation_row(c, live.get(c["chunk_id"])) for c in citations]
        cited = {c["chunk_id"] for c in cites}
        steps += [("audit_create_answer", {"query_id": query_id,
                                           "props": _answer_props(answer_id, answer, cites)}),
                  ("audit_link_citations", {"answer_id": answer_id, "rows": [
                      c for c in cites if c["chunk_id"] in live]})]
    rows = [_path_row(i, p, live, cited) for i, p in enumerate(paths)]
    steps.append(("audit_create_paths", {"query_id": query_id,
                                         "answer_id": answer_id if answer else None,
                                         "paths": rows}))
    store.write(steps)
    return query_id


def get_audit(store: GraphStore, audit_id: str, groups: Sequence[str], *,
              admin: bool = False) -> dict[str, Any]:
    """The audit record, evidence the reader may not see replaced by redaction markers.

    A chunk, citation or path is shown to a non-admin only when the chunk's ACL at
    recording time and its current ACL (if it still exists) both meet ``groups``;
    otherwise it becomes ``{"restricted": True, "chunk_id": ...}``.  A path is
    redacted whole when any chunk or document on it is restricted, and the answer
    text when any citation is.  Raises NotFoundError for an unknown id.
    """
    _check_groups(groups)
    rows = store.read("audit_get_record", {"id": audit_id})
    if not rows:
        raise NotFoundError(f"no audit record {audit_id!r}", id=audit_id)
    q, a = rows[0]["query"], rows[0]["answer"]
    retrieved = json.loads(q.get("retrieved") or "[]")
    citations = json.loads((a or {}).get("citations") or "[]")
    paths = [_rebuild_path(r) for r in store.read("audit_get_paths", {"id": audit_id})]
    ids = {r["chunk_id"] for r in retrieved} | {c["chunk_id"] for c in citations}
    ids |= {cid for p in paths for cid in _path_chunk_ids(p)}
    live = {r["id"]: r for r in store.read("audit_chunk_evidence", {"ids": sorted(ids)})}
    seen = _Visibility(groups, admin, live)
    chunks = [seen.chunk(r) for r in retrieved]
    cites = [seen.citation(c) for c in citations]
    out_paths = [seen.path(p) for p in paths]
    return {
        "id": q["id"],
        "query": {"id": q["id"], "text": q.get("text"), "principal": q.get("principal"),
                  "groups": list(q.get("groups") or []), "at": q.get("at"),
                  "mode": q.get("mode"), "params": json.loads(q.get("params") or "{}")},
        "versions": json.loads(q.get("versions") or "{}"),
        "answer": _answer_out(a, any(c.get("restricted") for c in cites)),
        "chunks": chunks, "citations": cites, "paths": out_paths,
        "redacted": sum(1 for x in [*chunks, *cites, *out_paths] if x.get("restricted")),
    }


def documents_changed_since(store: GraphStore, audit_id: str, *,
                            groups: Sequence[str] | None = None,
                            admin: bool = False) -> list[dict[str, Any]]:
    """Documents the record depends on whose version or sha256 differs now, or are gone.

    Each item: ``doc_id, uri, status ("changed" | "deleted"), recorded_version,
    recorded_sha256, current_version, current_sha256, ingested_at, run_id``.  With
    ``groups`` (and not ``admin``) a document the reader may not see is reported as
    ``{"restricted": True, "doc_id": ...}``.  Raises NotFoundError for an unknown id.
    """
    rows = store.read("audit_get_record", {"id": audit_id})
    if not rows:
        raise NotFoundError(f"no audit record {audit_id!r}", id=audit_id)
    recorded: dict[str, dict[str, Any]] = {}
    for r in json.loads(rows[0]["query"].get("retrieved") or "[]"):
        recorded.setdefault(r["doc_id"], {"version": r.get("version"), "sha256": r.get("sha256"),
                                          "uri": r.get("uri"), "acl": r.get("doc_acl") or []})
    for row in store.read("audit_get_paths", {"id": audit_id}):
        for s in row["steps"]:
            if s.get("kind") == "document":
                rec = recorded.setdefault(s["doc_id"], {"version": s.get("version"),
                                                        "uri": s.get("uri"), "acl": []})
                rec["sha256"] = rec.get("sha256") or s.get("sha256")
                rec["acl"] = rec["acl"] or list(s.get("acl") or [])
    now = {r["id"]: r for r in store.read("audit_document_state", {"ids": sorted(recorded)})}
    out: list[dict[str, Any]] = []
    for doc_id, rec in sorted(recorded.items()):
        cur = now.get(doc_id)
        if cur is not None and cur["version"] == rec["version"] and (
                not rec.get("sha256") or cur["sha256"] == rec["sha256"]):
            continue
        if groups is not None and not admin and not set(rec["acl"]) & set(groups):
            out.append({"restricted": True, "doc_id": doc_id})
            continue
        out.append({"doc_id": doc_id, "uri": rec.get("uri"),
                    "status": "deleted" if cur is None else "changed",
                    "recorded_version": rec["version"], "recorded_sha256": rec.get("sha256"),
                    "current_version": cur and cur["version"],
                    "current_sha256": cur and cur["sha256"],
                    "ingested_at": cur and cur["ingested_at"], "run_id": cur and cur["run_id"]})
    return out


# ------------------------------------------------------------------ recording


def _check_groups(groups: Sequence[str] | str) -> None:
    if isinstance(groups, str):  # set("public") would be a set of letters
        raise InvalidInputError("groups must be a sequence of group names, not a string")


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _merge_paths(first: Iterable[Mapping[str, Any]],
                 second: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    seen: dict[str, Mapping[str, Any]] = {}
    for p in [*first, *second]:
        seen.setdefault(str(p["path_id"]), p)
    return list(seen.values())


def _path_chunk_ids(path: Mapping[str, Any]) -> set[str]:
    ids = {str(path["chunk_id"])}
    for s in path.get("steps") or []:
        if s.get("kind") == "relation":
            ids.add(s["evidence"]["chunk_id"])
        elif s.get("chunk_id"):
            ids.add(s["chunk_id"])
    return ids


def _document_shas(paths: Iterable[Mapping[str, Any]]) -> dict[tuple[str, int], str]:
    return {(s["doc_id"], s["version"]): s["sha256"] for p in paths
            for s in p.get("steps") or [] if s.get("kind") == "document"}


def _exact(live: Row | None, start: int, end: int, given: str) -> str:
    """The stored span: the record holds exact quotes even when a display masked them."""
    if live is not None and 0 <= start <= end <= len(live["text"]):
        return str(live["text"][start:end])
    return given


def _retrieved_row(c: Mapping[str, Any], live: Row | None,
                   doc_sha: Mapping[tuple[str, int], str]) -> dict[str, Any]:
    doc_id, version = str(c.get("doc_id")), int(c.get("version") or 0)
    if live is not None and live["version"] == version:
        sha = str(live["doc_sha256"])
    else:  # re-ingested since retrieval: the path's document step has what was read
        sha = doc_sha.get((doc_id, version), "")
    return {
        "chunk_id": c["id"], "doc_id": c.get("doc_id"), "rank": c.get("rank"),
        "score": c.get("score"), "found_by": list(c.get("found_by") or []),
        "uri": c.get("uri"), "title": c.get("title"), "version": c.get("version"),
        "sha256": sha,
        "chunk_sha256": live["sha256"] if live else None,
        "acl": list(live["acl"] or []) if live else [],
        "doc_acl": list(live["doc_acl"] or []) if live else [],
        "run_id": live["run_id"] if live else None,
    }


def _citation_row(c: Mapping[str, Any], live: Row | None) -> dict[str, Any]:
    start, end = int(c["char_start"]), int(c["char_end"])
    return {"source": c.get("source"), "chunk_id": c["chunk_id"], "doc_id": c.get("doc_id"),
            "char_start": start, "char_end": end,
            "quote": _exact(live, start, end, str(c.get("quote", ""))),
            "acl": list(live["acl"] or []) if live else []}


def _answer_props(answer_id: str, answer: Mapping[str, Any],
                  cites: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    props = {
        "id": answer_id, "text": answer.get("answer") or "",
        "generator": answer.get("generator"), "model": answer.get("model"),
        "prompt_version": answer.get("prompt_version"),
        "verdict": "abstained" if answer.get("abstained") else "answered",
        "reason": answer.get("reason"), "confidence": answer.get("confidence"),
        "guards": _json(list(answer.get("guards") or [])), "citations": _json(list(cites)),
        "cited_chunk_ids": sorted({c["chunk_id"] for c in cites}),
        "cited_doc_ids": sorted({str(c["doc_id"]) for c in cites if c.get("doc_id")}),
    }
    return {k: v for k, v in props.items() if v is not None}


def _path_row(seq: int, path: Mapping[str, Any], live: Mapping[str, Row],
              cited: set[str]) -> dict[str, Any]:
    chunk = live.get(str(path["chunk_id"]))
    steps = [_step_row(i, s, live) for i, s in enumerate(path.get("steps") or [])]
    return {"on_answer": path["chunk_id"] in cited, "steps": steps, "props": {
        "id": f"pp:{uuid.uuid4()}", "seq": seq, "path_id": str(path["path_id"]),
        "chunk_id": str(path["chunk_id"]), "score": float(path.get("score") or 0.0),
        "hops": int(path.get("hops") or 0), "acl": list(chunk["acl"] or []) if chunk else []}}


def _step_row(i: int, step: Mapping[str, Any], live: Mapping[str, Row]) -> dict[str, Any]:
    """Flatten a step dict into PathStep properties (relation evidence lifted up)."""
    props: dict[str, Any] = {"id": f"ps:{uuid.uuid4()}", "step": i}
    json_keys: list[str] = []
    for key, value in step.items():
        if key == "evidence" and step.get("kind") == "relation":
            props.update({k: value[k] for k in ("chunk_id", "char_start", "char_end")})
            props["quote"] = value.get("quote", "")
        elif value is None or isinstance(value, _SCALAR) or (
                isinstance(value, list) and all(isinstance(v, _SCALAR) for v in value)):
            props[key] = value
        else:  # nested values (none today) survive as JSON
            props[key] = _json(value)
            json_keys.append(key)
    if "chunk_id" in props and "char_start" in props:
        row = live.get(props["chunk_id"])
        props["quote"] = _exact(row, props["char_start"], props["char_end"],
                                str(props.get("quote", "")))
        props["acl"] = list(row["acl"] or []) if row else []
    if step.get("kind") == "document":
        props["acl"] = next((list(r["doc_acl"] or []) for r in live.values()
                             if r["doc_id"] == step.get("doc_id")), [])
    if json_keys:
        props["json_keys"] = json_keys
    props = {k: v for k, v in props.items() if v is not None}
    links = {k: props.get(k) for k in _STEP_LINKS}
    return {"step": i, "props": props, **links}


# -------------------------------------------------------------------- reading


def _rebuild_path(row: Row) -> dict[str, Any]:
    p = row["path"]
    return {"path_id": p["path_id"], "chunk_id": p["chunk_id"], "score": p["score"],
            "hops": p["hops"], "supports_answer": bool(row["on_answer"]),
            "acl": list(p.get("acl") or []), "steps": [_rebuild_step(s) for s in row["steps"]]}


def _rebuild_step(props: Mapping[str, Any]) -> dict[str, Any]:
    step = {k: v for k, v in props.items() if k not in ("id", "step", "json_keys")}
    for key in props.get("json_keys") or []:
        step[key] = json.loads(step[key])
    if step.get("kind") == "relation":
        step["evidence"] = {k: step.pop(k) for k in ("chunk_id", "char_start", "char_end",
                                                     "quote") if k in step}
    return step


def _answer_out(a: Mapping[str, Any] | None, restricted: bool) -> dict[str, Any] | None:
    if a is None:
        return None
    return {"id": a["id"], "text": None if restricted else a.get("text"),
            "restricted": restricted, "verdict": a.get("verdict"),
            "abstained": a.get("verdict") == "abstained", "reason": a.get("reason"),
            "confidence": a.get("confidence"), "generator": a.get("generator"),
            "model": a.get("model"), "prompt_version": a.get("prompt_version"),
            "guards": json.loads(a.get("guards") or "[]")}


class _Visibility:
    """Which recorded evidence one reader may see; builds the redacted views."""

    def __init__(self, groups: Sequence[str], admin: bool, live: Mapping[str, Row]) -> None:
        self.groups, self.admin, self.live = set(groups), admin, live

    def allows(self, chunk_id: str, recorded_acl: Iterable[str]) -> bool:
        if self.admin:
            return True
        row = self.live.get(chunk_id)
        now_ok = row is None or bool(set(row["acl"] or []) & self.groups)
        return bool(set(recorded_acl) & self.groups) and now_ok

    def chunk(self, r: Mapping[str, Any]) -> dict[str, Any]:
        if not self.allows(r["chunk_id"], r.get("acl") or []):
            return {"restricted": True, "chunk_id": r["chunk_id"], "rank": r.get("rank")}
        row = self.live.get(r["chunk_id"])
        out = {k: v for k, v in r.items() if k not in ("acl", "doc_acl", "chunk_sha256")}
        return {**out, "text": row["text"] if row else None, "current": row is not None}

    def citation(self, c: Mapping[str, Any]) -> dict[str, Any]:
        if not self.allows(c["chunk_id"], c.get("acl") or []):
            return {"restricted": True, "chunk_id": c["chunk_id"], "source": c.get("source")}
        return {k: v for k, v in c.items() if k != "acl"}

    def path(self, p: Mapping[str, Any]) -> dict[str, Any]:
        refs = [(p["chunk_id"], p.get("acl") or [])]
        for s in p["steps"]:
            if s.get("kind") == "relation":
                refs.append((s["evidence"]["chunk_id"], s.get("acl") or []))
            elif s.get("kind") == "chunk":
                refs.append((s["chunk_id"], s.get("acl") or []))
        documents_ok = self.admin or all(set(s.get("acl") or []) & self.groups
                                         for s in p["steps"] if s.get("kind") == "document")
        if not documents_ok or not all(self.allows(cid, acl) for cid, acl in refs):
            return {"restricted": True, "chunk_id": p["chunk_id"], "path_id": p["path_id"]}
        return {**{k: v for k, v in p.items() if k != "acl"},
                "steps": [{k: v for k, v in s.items() if k != "acl"} for s in p["steps"]]}

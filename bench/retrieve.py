"""Retrieval latency at 1k / 10k / 100k chunks (graph mode, in-process, warm).

    python -m bench.retrieve [--sizes 1000,10000] [--questions 100]

The graph holds the real multi-hop ISO benchmark (ingested by the pipeline,
real embeddings), grown to each size with synthetic filler documents written
through the same write stage: sentence-like text, random unit vectors,
entities drawn with a Zipf law (so there are hubs), mentions and relations.
Questions are the benchmark's; timings exclude model loading (everything is
warmed first, the in-process graph snapshot included) and include every Neo4j
round trip, spaCy and the embedder.  Graph mode is also measured reading Neo4j
only (no snapshot), before and after ``kgrag db optimize``.
The Neo4j used is the ``bench`` instance of ``scripts/neo4j-local``; it is
emptied first.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FILL_BATCH = 64  # filler documents per write transaction
WORDS = [
    "system",
    "service",
    "data",
    "policy",
    "control",
    "audit",
    "risk",
    "vendor",
    "contract",
    "incident",
    "report",
    "platform",
    "network",
    "access",
    "review",
    "payment",
    "record",
    "customer",
    "claim",
    "ledger",
    "process",
    "team",
    "owner",
    "release",
    "change",
    "backup",
    "storage",
    "region",
    "supplier",
    "invoice",
    "schedule",
    "quarter",
    "security",
    "privacy",
    "compliance",
    "model",
    "cluster",
    "queue",
    "archive",
    "portal",
    "gateway",
]


def filler_graphs(n_chunks: int, dim: int, seed: int, start: int):  # type: ignore[no-untyped-def]
    """Synthetic DocumentGraphs of 10 chunks each (deterministic for a seed)."""
    from graph.model import (
        ChunkDraft,
        DocumentGraph,
        EntityDraft,
        LinkedMention,
        RelationDraft,
        SourceDocument,
    )

    rng = np.random.default_rng(seed)
    per_doc = 10
    for d in range(start, start + n_chunks // per_doc):
        texts, chunks = [], []
        pos = 0
        for i in range(per_doc):
            ents = [f"Unit{int(x)}" for x in rng.zipf(1.6, 3) % 5000]
            words = " ".join(rng.choice(WORDS, 60))
            text = f"{ents[0]} operates {ents[1]}. {words}. {ents[2]} is listed here."
            chunks.append(ChunkDraft(f"c:syn-{d}-{i}", f"syn-{d}", i, pos, pos + len(text), text))
            texts.append(text)
            pos += len(text) + 1
        doc = SourceDocument(f"syn-{d}", f"urn:syn:{d}", f"Synthetic {d}", "\n".join(texts))
        vecs = rng.normal(size=(per_doc, dim))
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        names = sorted(
            {n for t in texts for n in t.split() if n.startswith("Unit")}
            | {t.split()[0] for t in texts}
            | {t.split()[2].rstrip(".") for t in texts}
        )
        names = sorted({n.rstrip(".") for n in names})
        entities = tuple(EntityDraft(f"e:{n.lower()}", n, "Organization") for n in names)
        evecs = rng.normal(size=(len(entities), dim))
        evecs /= np.linalg.norm(evecs, axis=1, keepdims=True)
        mentions, relations = [], []
        for c in chunks:
            a, b = c.text.split()[0], c.text.split()[2].rstrip(".")
            mentions.append(LinkedMention(c.id, f"e:{a.lower()}", 0, len(a), a, "ner"))
            mentions.append(
                LinkedMention(c.id, f"e:{b.lower()}", len(a) + 10, len(a) + 10 + len(b), b, "ner")
            )
            if a != b:
                relations.append(
                    RelationDraft(
                        f"e:{a.lower()}",
                        f"e:{b.lower()}",
                        "OPERATES",
                        "operate",
                        c.id,
                        0,
                        c.text.index(".") + 1,
                        0.9,
                        "dep:svo",
                    )
                )
        yield DocumentGraph(
            doc,
            tuple(chunks),
            entities,
            tuple(mentions),
            tuple(relations),
            (),
            tuple(map(tuple, vecs.tolist())),
            tuple(map(tuple, evecs.tolist())),
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--out", default=str(ROOT / "bench" / "reports" / "retrieve.json"))
    args = parser.parse_args(argv)
    os.environ.setdefault("KGRAG_NEO4J_INSTANCE", "bench")
    if not os.environ.get("NEO4J_URI"):
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "neo4j-local"),
                "start",
                "--instance",
                os.environ["KGRAG_NEO4J_INSTANCE"],
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    from bench.multihop.generate import generate
    from graph.ingest.load import document_from_mapping
    from graph.ingest.pipeline import ingest
    from graph.ingest.write import DocWrite, write_documents
    from graph.retrieve.pipeline import RetrievePorts, retrieve
    from graph.retrieve.types import Mode, RetrieveParams
    from graph.schema import init_schema, reset_database
    from graph.spaces import rebuild_indexes
    from service.qa import retrieve_ports
    from service.settings import Settings
    from service.wiring import Services, ingest_options, ingest_ports

    svc = Services.from_settings(Settings.from_env())
    reset_database(svc.store)
    init_schema(svc.store, space=svc.default_space(), ontology=svc.ontology)
    space = svc.active_space()
    corpus, questions = generate(seed=7, countries=60)
    docs = [document_from_mapping(r, source=str(r["id"]), default_acl=("public",)) for r in corpus]
    report = ingest(docs, ingest_ports(svc), ingest_options(svc))
    have = report.chunks
    ports = retrieve_ports(svc)
    neo4j_only = dataclasses.replace(ports, snapshots=None)
    qs = [q["question"] for q in questions if q["answerable"]][: args.questions]
    dim = svc.embedder.get().dimension
    curve = []
    next_doc = 0
    for size in sorted(int(s) for s in args.sizes.split(",")):
        t0 = time.perf_counter()
        if size > have:
            # in transactions of FILL_BATCH documents, as the ingestion pipeline writes
            graphs = list(filler_graphs(size - have, dim, seed=size, start=next_doc))
            for i in range(0, len(graphs), FILL_BATCH):
                write_documents(svc.store, [DocWrite(dg, {}) for dg in graphs[i:i + FILL_BATCH]],
                                run_id=report.run_id,
                                embedding_model=svc.embedder.get().model_id)
            next_doc += len(graphs)
            have = size
        svc.store.run_auto("schema_await_indexes", {"timeout_s": 600})
        fill_s = time.perf_counter() - t0
        row: dict[str, object] = {"chunks": have, "fill_s": round(fill_s, 1)}

        def measure(mode: Mode, how: RetrievePorts = ports) -> dict[str, object]:
            params = RetrieveParams(mode=mode, k=5, groups=("public",))
            for q in qs[:10]:  # warm the query plans and caches
                retrieve(q, how, params)
            lat = []
            stages: dict[str, list[float]] = {}
            for q in qs:
                t = time.perf_counter()
                result = retrieve(q, how, params)
                lat.append((time.perf_counter() - t) * 1000)
                for stage, ms in result.timings_ms.items():
                    stages.setdefault(stage, []).append(ms)
            lat.sort()
            return {
                "p50_ms": round(statistics.median(lat), 1),
                "p95_ms": round(lat[int(0.95 * (len(lat) - 1))], 1),
                "n": len(lat),
                # Stages overlap (the pipeline runs independent steps side by side).
                "stage_p50_ms": {k: round(statistics.median(v), 1) for k, v in stages.items()},
            }

        # Reading Neo4j only: as loaded (the vector index in many segments), then after
        # `kgrag db optimize`; then as the service runs, expanding over the in-process
        # snapshot of the graph (loaded first: "warm").
        row["graph_before_optimize"] = measure(Mode.GRAPH, neo4j_only)
        row["optimize_s"] = round(rebuild_indexes(svc.store, space), 1)
        row["graph_neo4j_only"] = measure(Mode.GRAPH, neo4j_only)
        t1 = time.perf_counter()
        snapshot = svc.snapshots.refresh(space.vector_property) if svc.snapshots else None
        row["snapshot_load_s"] = round(time.perf_counter() - t1, 1) if snapshot else None
        for mode in (Mode.VECTOR, Mode.GRAPH):
            row[mode.value] = measure(mode)
        curve.append(row)
        print(
            f"{have:>7} chunks: vector p50 {row['vector']['p50_ms']} ms "  # type: ignore[index]
            f"p95 {row['vector']['p95_ms']} ms | graph p50 {row['graph']['p50_ms']} ms "  # type: ignore[index]
            f"p95 {row['graph']['p95_ms']} ms  (filled in {fill_s:.0f} s; before "
            f"`db optimize` graph p50 {row['graph_before_optimize']['p50_ms']} ms "  # type: ignore[index]
            f"p95 {row['graph_before_optimize']['p95_ms']} ms)",  # type: ignore[index]
            flush=True,
        )
        print(
            f"         graph without the snapshot: p50 {row['graph_neo4j_only']['p50_ms']} ms "  # type: ignore[index]
            f"p95 {row['graph_neo4j_only']['p95_ms']} ms; snapshot loaded in "  # type: ignore[index]
            f"{row['snapshot_load_s']} s",
            flush=True,
        )
        print(
            "         graph stage p50: "
            + ", ".join(f"{k} {v} ms" for k, v in row["graph"]["stage_p50_ms"].items()),  # type: ignore[index]
            flush=True,
        )
    svc.close()
    out = {
        "curve": curve,
        "questions": len(qs),
        "cpus": os.cpu_count(),
        "targets": {"graph_p50_ms_at_10k": 50, "graph_p95_ms_at_10k": 150},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"report: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

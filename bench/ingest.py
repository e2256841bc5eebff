"""Ingestion throughput: the whole pipeline into Neo4j against its physical limits.

    python -m bench.ingest [--docs N] [--repeat 3] [--out bench/reports/ingest.json]

Corpus: the Free On-line Dictionary of Computing from Debian's ``dict-foldoc``
(real public-domain text, ~15k entries; ``apt-get install dict-foldoc``), or,
where it is not installed, the multi-hop ISO benchmark corpus.  One run measures
on the same documents, in this order, with models loaded and warmed first:

(c) spaCy analysis alone (NER, parser, ruler: the extract stage), chunks/s;
(b) embedding alone of the same chunks, chunks/s;
(a) the whole pipeline into a clean Neo4j (load, chunk, extract, link, relate,
    embed chunks and entities, write), chunks/s.

It prints ``a / min(b, c)``: 1.0 would mean ingestion costs no more than its
slowest unavoidable stage.  Also reported: the CPU seconds the local Neo4j
server spent during (a), and, where the embedder computes in bfloat16, how
closely its vectors agree with float32 ones on a sample of the chunks.  The
Neo4j used is the ``bench`` instance of ``scripts/neo4j-local`` (or
``NEO4J_URI``); it is emptied first.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from graph.embed import SentenceTransformerEmbedder
    from service.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
FOLDOC = Path("/usr/share/dictd/foldoc.dict.dz")
FOLDOC_INDEX = Path("/usr/share/dictd/foldoc.index")
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _b64(s: str) -> int:
    n = 0
    for ch in s:
        n = n * 64 + _B64.index(ch)
    return n


def foldoc_documents(limit: int) -> list[dict[str, object]]:
    """FOLDOC entries with some body, in index order, as corpus lines."""
    data = gzip.decompress(FOLDOC.read_bytes())
    docs: list[dict[str, object]] = []
    for line in FOLDOC_INDEX.read_text(encoding="utf-8").splitlines():
        head, off, size = line.split("\t")
        if head.startswith("00-database") or not re.match(r"^[A-Za-z]", head):
            continue
        body = data[_b64(off):_b64(off) + _b64(size)].decode("utf-8", "replace")
        text = re.sub(r"[{}]", "", " ".join(body.split("\n", 1)[-1].split()))
        if len(text) < 600:
            continue
        docs.append({"id": f"foldoc/{len(docs):05d}", "title": head, "text": text,
                     "uri": f"dict://foldoc/{head}", "acl": ["public"]})
        if len(docs) >= limit:
            break
    return docs


def multihop_documents(limit: int) -> list[dict[str, object]]:
    from bench.multihop.generate import generate

    corpus, _ = generate(seed=7, countries=200)
    return corpus[:limit]


def neo4j_cpu_seconds(instance: str) -> float | None:
    """CPU seconds the local Neo4j server of ``instance`` has used (None if not local)."""
    from service.settings import kgrag_home

    try:
        pid = (kgrag_home() / "instances" / instance / "run" / "neo4j.pid").read_text().strip()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def precision_agreement(embedder: SentenceTransformerEmbedder, settings: Settings,
                        texts: list[str]) -> dict[str, float] | None:
    """Cosine between the embedder's vectors and float32 ones of the same model."""
    from service.wiring import build_embedder

    if embedder.precision == "float32":
        return None
    reference = build_embedder(dataclasses.replace(settings, embedding_precision="float32"))
    cos = (embedder.embed(texts) * reference.embed(texts)).sum(axis=1)
    return {"texts": len(texts), "cosine_median": round(float(np.median(cos)), 6),
            "cosine_min": round(float(cos.min()), 6)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=900, help="documents to ingest")
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds of (c), (b), (a); medians are reported")
    parser.add_argument("--out", default=str(ROOT / "bench" / "reports" / "ingest.json"))
    args = parser.parse_args(argv)
    os.environ.setdefault("KGRAG_NEO4J_INSTANCE", "bench")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not os.environ.get("NEO4J_URI"):
        subprocess.run([sys.executable, str(ROOT / "scripts" / "neo4j-local"), "start",
                        "--instance", os.environ["KGRAG_NEO4J_INSTANCE"]], check=True,
                       stdout=subprocess.DEVNULL)

    from graph.ingest.chunk import chunk_document
    from graph.ingest.load import document_from_mapping
    from graph.ingest.pipeline import ingest
    from graph.schema import init_schema, reset_database
    from service.settings import Settings
    from service.wiring import Services, ingest_options, ingest_ports

    source = "foldoc" if FOLDOC.exists() else "multihop-iso"
    rows = foldoc_documents(args.docs) if source == "foldoc" else multihop_documents(args.docs)
    docs = [document_from_mapping(r, source=f"{source}:{r['id']}", default_acl=("public",))
            for r in rows]
    svc = Services.from_settings(Settings.from_env())
    extractor, embedder = svc.extractor.get(), svc.embedder.get()
    extractor.analyse([d.text for d in docs[:8]])  # warm both models
    embedder.embed([d.text[:500] for d in docs[:8]])
    settings = svc.settings

    rounds: list[dict[str, float]] = []
    for _ in range(args.repeat):  # (c), (b), (a) in turn, so noise hits all three alike
        t0 = time.perf_counter()
        analyses = extractor.analyse([d.text for d in docs])
        t_nlp = time.perf_counter() - t0
        chunks = [c for d, a in zip(docs, analyses, strict=True)
                  for c in chunk_document(d, a.sentences,
                                          target_chars=settings.chunk_target_chars,
                                          overlap_sentences=settings.chunk_overlap_sentences)]
        n_chunks = len(chunks)
        t0 = time.perf_counter()
        embedder.embed([c.text for c in chunks])
        t_embed = time.perf_counter() - t0

        reset_database(svc.store)
        init_schema(svc.store, space=svc.default_space(), ontology=svc.ontology)
        cpu0 = neo4j_cpu_seconds(os.environ["KGRAG_NEO4J_INSTANCE"])
        own0 = time.process_time()
        t0 = time.perf_counter()
        report = ingest(docs, ingest_ports(svc), ingest_options(svc))
        t_full = time.perf_counter() - t0
        own_cpu = time.process_time() - own0
        cpu1 = neo4j_cpu_seconds(os.environ["KGRAG_NEO4J_INSTANCE"])
        rounds.append({"nlp_s": t_nlp, "embed_s": t_embed, "full_s": t_full,
                       "ratio": (report.chunks / t_full) / min(n_chunks / t_nlp,
                                                               n_chunks / t_embed),
                       "neo4j_cpu_s": -1.0 if cpu0 is None or cpu1 is None else cpu1 - cpu0,
                       "process_cpu_s": own_cpu})
        print(f"  round {len(rounds)}: NLP {t_nlp:.1f} s, embedding {t_embed:.1f} s, "
              f"pipeline {t_full:.1f} s (CPU: {own_cpu:.1f} s here, "
              f"{rounds[-1]['neo4j_cpu_s']:.1f} s Neo4j)", flush=True)
    svc.close()
    t_nlp, t_embed, t_full = (statistics.median(r[k] for r in rounds)
                              for k in ("nlp_s", "embed_s", "full_s"))
    ratio = statistics.median(r["ratio"] for r in rounds)
    neo4j_cpu = (None if any(r["neo4j_cpu_s"] < 0 for r in rounds)
                 else round(statistics.median(r["neo4j_cpu_s"] for r in rounds), 1))
    agreement = precision_agreement(embedder, settings,
                                    [c.text for c in chunks[::max(1, n_chunks // 64)]])

    nlp_cps, embed_cps, full_cps = n_chunks / t_nlp, n_chunks / t_embed, report.chunks / t_full
    result = {
        "corpus": source, "documents": len(docs), "chunks": n_chunks,
        "chars": sum(len(d.text) for d in docs),
        "nlp_only": {"seconds": round(t_nlp, 2), "chunks_per_s": round(nlp_cps, 1)},
        "embedding_only": {"seconds": round(t_embed, 2), "chunks_per_s": round(embed_cps, 1)},
        "full_pipeline": {"seconds": round(t_full, 2), "chunks_per_s": round(full_cps, 1),
                          "stages_s": report.timings_s, "entities": report.entities,
                          "relations": report.relations, "failed": len(report.failed),
                          "neo4j_server_cpu_s": neo4j_cpu},
        "ratio_full_to_bound": round(ratio, 3),  # median over rounds of a / min(b, c)
        "rounds": [{k: round(v, 3) for k, v in r.items()} for r in rounds],
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cpus": os.cpu_count(),
        "models": {"embedding": embedder.model_id, "spacy": extractor.model_id},
        "embedding_precision": embedder.precision,
        "embedding_threads": settings.embedding_threads or "all cores but one",
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
        "precision_agreement_with_float32": agreement,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"corpus {source}: {len(docs)} documents, {n_chunks} chunks")
    print(f"(c) NLP only        {nlp_cps:7.1f} chunks/s  ({t_nlp:.1f} s)")
    print(f"(b) embedding only  {embed_cps:7.1f} chunks/s  ({t_embed:.1f} s)")
    print(f"(a) full pipeline   {full_cps:7.1f} chunks/s  ({t_full:.1f} s)")
    print(f"a / min(b, c) = {ratio:.2f}   peak RSS {result['peak_rss_mib']} MiB   "
          f"Neo4j server CPU during (a): {neo4j_cpu} s")
    if agreement:
        print(f"{embedder.precision} vs float32 vectors: cosine median "
              f"{agreement['cosine_median']}, min {agreement['cosine_min']} "
              f"({agreement['texts']} chunks)")
    # stage wall seconds overlap; embed_cpu below embed means the embedder waited for a core
    print("stages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in report.timings_s.items()))
    print(f"report: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

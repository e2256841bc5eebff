"""Ingestion and retrieval over the knowledge graph (no web framework in here).

OpenMP, which torch computes with, keeps its idle worker threads spinning by
default; during ingestion they take a core from spaCy and Neo4j, which run
beside the embedder (800 chunks: 38 s spinning, 27 s passive, on 2 cores; see
bench/ingest.py).  Idle workers sleep instead unless the user chose otherwise;
this must be set before torch loads, hence here, where every entry point passes.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

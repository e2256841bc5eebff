"""The real embedding model: small calls through ONNX Runtime give PyTorch's vectors;
the thread count ingestion sets reaches the thread that embeds."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from graph.embed import DEFAULT_MODEL, SentenceTransformerEmbedder

pytestmark = [pytest.mark.models]

QUESTIONS = ["Which directive applies to the operator of the Lighthouse platform?",
             "Who audits Pell & Rowe?",
             "In which city is the supplier paid under invoice INV-4471 located?"]


def test_questions_through_onnx_runtime_get_pytorchs_vectors(tmp_path: Path) -> None:
    onnx = SentenceTransformerEmbedder(DEFAULT_MODEL, onnx_dir=str(tmp_path))
    plain = SentenceTransformerEmbedder(DEFAULT_MODEL)
    fast, slow = onnx.embed(QUESTIONS), plain.embed(QUESTIONS)
    exported = list(tmp_path.glob("*.onnx"))
    assert len(exported) == 1 and onnx._onnx is not None  # exported on the first call
    assert np.abs(fast - slow).max() < 1e-5
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-6)
    for text, vector in zip(QUESTIONS, slow, strict=True):  # alone: no padding
        assert np.abs(onnx.embed([text])[0] - vector).max() < 1e-5
    # the next process reuses the export
    stamp = exported[0].stat().st_mtime_ns
    again = SentenceTransformerEmbedder(DEFAULT_MODEL, onnx_dir=str(tmp_path))
    assert np.array_equal(again.embed(QUESTIONS), fast)
    assert exported[0].stat().st_mtime_ns == stamp


def test_an_export_that_fails_leaves_pytorch_computing(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL, onnx_dir=str(blocked))
    vectors = embedder.embed(QUESTIONS)
    assert embedder._onnx is None
    assert np.array_equal(vectors, SentenceTransformerEmbedder(DEFAULT_MODEL).embed(QUESTIONS))


def test_each_thread_that_embeds_computes_with_the_configured_thread_count() -> None:
    """Ingestion embeds in worker threads; torch keeps a per-thread count, so a count
    set (by us or by another library) in one thread never reaches another: each call
    applies the embedder's own."""
    import torch

    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL, threads=1)
    texts = [f"chunk {i} of a document about controls" for i in range(12)]  # not a small call

    def threads_used() -> int:
        torch.set_num_threads(2)  # this thread had computed with another count
        torch.ones(64, 64) @ torch.ones(64, 64)
        embedder.embed(texts)
        return int(torch.get_num_threads())

    with ThreadPoolExecutor(1) as worker:
        assert worker.submit(threads_used).result() == 1
    assert embedder.idle_workers == max(1, os.cpu_count() or 2)


def test_concurrent_calls_give_the_vectors_of_calls_one_at_a_time() -> None:
    """Ingestion's tail embeds in two workers at once, with no lock around the model."""
    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL, threads=1, precision="auto")
    groups = [[f"{w} control number {i} is operated by team {i % 7}" for i in range(40)]
              for w in ("access", "backup", "change", "vendor")]
    alone = [embedder.embed(g) for g in groups]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(embedder.embed, groups * 3))
    for i, vectors in enumerate(together):
        assert np.array_equal(vectors, alone[i % 4])

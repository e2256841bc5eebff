"""The real embedding model: small calls through ONNX Runtime give PyTorch's vectors."""

from __future__ import annotations

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

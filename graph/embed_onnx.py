"""A few texts at a time (a question, its mentions) through ONNX Runtime.

On one short text, PyTorch's eager forward pass is mostly Python overhead:
MiniLM takes ~15 ms for a question on one core, ONNX Runtime ~7 ms for the
same float32 arithmetic (vectors agree to ~1e-7).  Retrieval embeds two texts
per question, so this is a quarter of a graph-mode retrieval's CPU.

The model's transformer is exported once per model version (``torch.onnx``,
offline) into a folder (``$KGRAG_HOME/onnx``), written atomically, and
mean-pooled here as sentence-transformers does.  Only models made of a
transformer, mean pooling and (optionally) normalisation are exported; any
failure leaves the embedder on PyTorch.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def exportable(model: Any) -> bool:
    """Transformer -> mean pooling (-> normalise): what :class:`OnnxEncoder` computes."""
    names = [type(m).__name__ for m in model]
    if names not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        return False
    config = model[1].get_config_dict() if hasattr(model[1], "get_config_dict") else {}
    return bool(config.get("pooling_mode") == "mean" or config.get("pooling_mode_mean_tokens"))


class OnnxEncoder:
    """The transformer of a sentence-transformers model in an ONNX Runtime session
    (one thread: it serves single questions beside everything else)."""

    def __init__(self, model: Any, model_id: str, sample: dict[str, Any],
                 directory: Path) -> None:
        import onnxruntime as ort

        self._inputs = [k for k in INPUTS if k in sample]
        key = hashlib.sha256(f"{model_id}|{','.join(self._inputs)}".encode()).hexdigest()[:16]
        path = directory / f"{key}.onnx"
        if not path.exists():
            _export(model, sample, self._inputs, path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(path), options,
                                             providers=["CPUExecutionProvider"])
        self._normalize = len(model) == 3  # the model ends with Normalize

    def __call__(self, features: dict[str, Any]) -> npt.NDArray[np.float32]:
        """The sentence embeddings, one row per text, as the model computes them."""
        feed = {k: features[k].numpy() for k in self._inputs}
        hidden = self._session.run(None, feed)[0]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        pooled: npt.NDArray[np.float32] = ((hidden * mask).sum(axis=1)
                                           / np.maximum(mask.sum(axis=1), 1e-9)).astype(np.float32)
        if self._normalize:
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled


def _export(model: Any, sample: dict[str, Any], inputs: list[str], path: Path) -> None:
    import torch

    class Hidden(torch.nn.Module):
        def __init__(self, transformer: Any) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *args: Any) -> Any:
            return self.transformer(**dict(zip(inputs, args, strict=True))).last_hidden_state

    axes = {k: {0: "batch", 1: "tokens"} for k in (*inputs, "hidden")}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".onnx.tmp")
    os.close(fd)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the exporter's notes on tracing
            torch.onnx.export(Hidden(model[0].auto_model).eval(),
                              tuple(sample[k] for k in inputs), tmp, dynamo=False,
                              input_names=inputs, output_names=["hidden"],
                              dynamic_axes=axes, opset_version=17)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)  # atomic: another process may be exporting too
        log.info("exported the embedding model to %s", path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)

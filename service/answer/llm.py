"""litellm adapter implementing ``graph.ports.LLM``.

litellm is imported lazily (it is slow to import and optional for the
offline extractive path), after ``LITELLM_LOCAL_MODEL_COST_MAP=True`` so it
never fetches its cost map over the network.

Retries and fallbacks are done here, not by litellm, so they are explicit
and deterministic (litellm's own ``num_retries`` needs ``tenacity``): each
model in ``[model, *fallbacks]`` gets ``1 + num_retries`` attempts for
transient errors (timeouts, rate limits, 5xx, connection errors) with
exponential backoff, and one attempt for permanent ones (auth, bad request,
unknown model) before the next model is tried.  When every model failed,
:class:`ontology.errors.GenerationError` lists what each attempt raised (error
class names only: provider messages may echo the prompt).  Exceptions that are
not provider errors (bugs) propagate unchanged.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType, ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

from ontology.errors import GenerationError

if TYPE_CHECKING:
    from service.settings import Settings

_TRANSIENT = (
    "Timeout",
    "RateLimitError",
    "ServiceUnavailableError",
    "APIConnectionError",
    "InternalServerError",
    "BadGatewayError",
)


@dataclass(frozen=True, slots=True)
class Completion:
    """A reply and the model that actually produced it (after fallbacks)."""

    text: str
    model: str  # the litellm model string that answered: the primary or a fallback


def _litellm() -> ModuleType:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True  # no "Give Feedback" banners on stderr
    return litellm


class LiteLLMGenerator:
    """A chat model behind litellm, with retries and fallback models."""

    kind: ClassVar[str] = "litellm"
    __slots__ = (
        "api_base",
        "completion_kwargs",
        "fallbacks",
        "model_id",
        "num_retries",
        "retry_backoff_s",
        "temperature",
        "timeout_s",
    )

    def __init__(
        self,
        model: str,
        *,
        api_base: str = "",
        timeout_s: float = 60.0,
        num_retries: int = 2,
        fallbacks: Sequence[str] = (),
        temperature: float = 0.0,
        retry_backoff_s: float = 0.5,
        completion_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        if not model:
            raise ValueError("a litellm model string is required, e.g. 'ollama/llama3.1'")
        self.model_id = model
        self.api_base = api_base
        self.timeout_s = timeout_s
        self.num_retries = max(0, num_retries)
        self.fallbacks = tuple(f for f in fallbacks if f and f != model)
        self.temperature = temperature
        self.retry_backoff_s = retry_backoff_s
        # extra litellm.completion arguments (api_key, mock_response in tests, ...)
        self.completion_kwargs = MappingProxyType(dict(completion_kwargs or {}))

    @classmethod
    def from_settings(cls, settings: Settings) -> LiteLLMGenerator:
        """Built from ``KGRAG_LLM_*`` settings (fallbacks comma separated)."""
        return cls(
            settings.llm_model,
            api_base=settings.llm_api_base,
            timeout_s=settings.llm_timeout_s,
            num_retries=settings.llm_retries,
            fallbacks=[f.strip() for f in settings.llm_fallbacks.split(",") if f.strip()],
        )

    def complete(self, messages: Sequence[Mapping[str, str]], *, max_tokens: int) -> str:
        """The assistant's reply at the configured temperature (0 by default)."""
        return self.generate(messages, max_tokens=max_tokens).text

    def generate(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        max_tokens: int,
        temperature: float | None = None,
        seed: int | None = None,
    ) -> Completion:
        """Reply and serving model; ``temperature``/``seed`` for sampled candidates."""
        litellm = _litellm()
        transient = tuple(getattr(litellm, name) for name in _TRANSIENT)
        provider = _provider_errors(litellm)
        failures: list[str] = []
        for model in (self.model_id, *self.fallbacks):
            for attempt in range(self.num_retries + 1):
                try:
                    response = litellm.completion(
                        **self._kwargs(model, messages, max_tokens, temperature, seed)
                    )
                    text = response.choices[0].message.content
                except transient as exc:
                    failures.append(_failure(model, attempt, exc))
                    if attempt < self.num_retries and self.retry_backoff_s > 0:
                        time.sleep(self.retry_backoff_s * 2**attempt)
                    continue
                except provider as exc:  # permanent for this model: try the next one
                    failures.append(_failure(model, attempt, exc))
                    break
                if not text or not str(text).strip():
                    failures.append(f"{model}#{attempt + 1}: empty reply")
                    break
                return Completion(str(text), model)
        raise GenerationError(
            f"generation failed after {len(failures)} attempt(s): {'; '.join(failures)}",
            model=self.model_id,
            attempts=failures,
        )

    def _kwargs(
        self,
        model: str,
        messages: Sequence[Mapping[str, str]],
        max_tokens: int,
        temperature: float | None,
        seed: int | None,
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": model,
            "messages": [dict(m) for m in messages],
            "max_tokens": max_tokens,
            "temperature": self.temperature if temperature is None else temperature,
            "timeout": self.timeout_s,
            "num_retries": 0,
            "drop_params": True,
        }
        if self.api_base and _provider(model) == _provider(self.model_id):
            # one api_base is configured: it belongs to the primary model's provider
            kwargs["api_base"] = self.api_base
        if seed is not None:
            kwargs["seed"] = seed
        kwargs.update(self.completion_kwargs)
        return kwargs


def _provider_errors(litellm: ModuleType) -> tuple[type[Exception], ...]:
    """Everything litellm raises for a failed call (its classes subclass openai's)."""
    import openai

    found = [
        value
        for value in vars(litellm.exceptions).values()
        if isinstance(value, type)
        and issubclass(value, Exception)
        and not issubclass(value, Warning)
    ]
    return (openai.OpenAIError, *found)


def _failure(model: str, attempt: int, exc: Exception) -> str:
    return f"{model}#{attempt + 1}: {type(exc).__name__}"


def _provider(model: str) -> str:
    return model.split("/", 1)[0] if "/" in model else ""

"""The litellm adapter, through litellm's own mock_response (no network)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from ontology.errors import GenerationError
from service.answer import AnswerPolicy, Source, answer
from service.answer.llm import LiteLLMGenerator
from service.settings import Settings

litellm = pytest.importorskip("litellm")

# litellm lazily imports a provider module whose TypedDict makes pydantic warn
pytestmark = pytest.mark.filterwarnings("ignore:Item.*using the `ReadOnly` qualifier:UserWarning")

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]


def _err(cls: type[Exception], model: str) -> Exception:
    return cls(message="mock failure", model=model, llm_provider="openai")  # type: ignore[call-arg]


def _route(monkeypatch: pytest.MonkeyPatch, script: Callable[[str, int], Any]) -> list[str]:
    """Run the real ``litellm.completion`` with ``mock_response=script(model, call_no)``."""
    real = litellm.completion
    calls: list[str] = []

    def completion(**kwargs: Any) -> Any:
        calls.append(kwargs["model"])
        kwargs["mock_response"] = script(kwargs["model"], len(calls))
        return real(**kwargs)

    monkeypatch.setattr(litellm, "completion", completion)
    return calls


def _gen(**kwargs: Any) -> LiteLLMGenerator:
    kwargs.setdefault("retry_backoff_s", 0.0)
    return LiteLLMGenerator("openai/primary", **kwargs)


def test_cost_map_is_local() -> None:
    _gen(completion_kwargs={"mock_response": "ok"}).complete(MESSAGES, max_tokens=8)
    assert os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"


def test_success_returns_the_reply_text() -> None:
    gen = _gen(completion_kwargs={"mock_response": "Acme is subject to DORA [S1]."})
    assert gen.model_id == "openai/primary"
    assert gen.complete(MESSAGES, max_tokens=64) == "Acme is subject to DORA [S1]."
    done = gen.generate(MESSAGES, max_tokens=64, temperature=0.7, seed=3)
    assert done.text == "Acme is subject to DORA [S1]."
    assert done.model == "openai/primary"


def test_call_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, Any]] = []

    def completion(**kwargs: Any) -> Any:
        seen.append(kwargs)
        return litellm.ModelResponse(choices=[{"message": {"role": "assistant", "content": "x"}}])

    monkeypatch.setattr(litellm, "completion", completion)
    gen = _gen(api_base="http://localhost:11434", timeout_s=7.0, fallbacks=["anthropic/other"])
    gen.complete(MESSAGES, max_tokens=32)
    (kw,) = seen
    assert kw["temperature"] == 0.0 and kw["timeout"] == 7.0 and kw["max_tokens"] == 32
    assert kw["api_base"] == "http://localhost:11434" and kw["num_retries"] == 0
    assert "seed" not in kw and kw["messages"] == MESSAGES


def test_timeout_is_retried_then_raised_as_generation_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _route(monkeypatch, lambda model, n: _err(litellm.Timeout, model))
    with pytest.raises(GenerationError) as info:
        _gen(num_retries=2).complete(MESSAGES, max_tokens=8)
    assert calls == ["openai/primary"] * 3
    err = info.value
    assert err.status == 502 and err.type == "generation-error"
    assert err.extra["attempts"] == [f"openai/primary#{i}: Timeout" for i in (1, 2, 3)]


def test_litellm_mock_timeout_maps_to_generation_error() -> None:
    gen = _gen(num_retries=0, timeout_s=0.01, completion_kwargs={"mock_timeout": True})
    with pytest.raises(GenerationError, match="Timeout"):
        gen.complete(MESSAGES, max_tokens=8)


def test_transient_error_then_success(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _route(
        monkeypatch,
        lambda model, n: _err(litellm.RateLimitError, model) if n == 1 else "second try [S1].",
    )
    assert _gen(num_retries=1).complete(MESSAGES, max_tokens=8) == "second try [S1]."
    assert len(calls) == 2


def test_retries_then_fallback_to_a_second_model(monkeypatch: pytest.MonkeyPatch) -> None:
    def script(model: str, n: int) -> Any:
        if model == "openai/primary":
            return _err(litellm.ServiceUnavailableError, model)
        return "from the fallback [S1]."

    calls = _route(monkeypatch, script)
    gen = _gen(num_retries=1, fallbacks=["openai/backup", "openai/primary"])
    assert gen.fallbacks == ("openai/backup",)
    done = gen.generate(MESSAGES, max_tokens=8)
    assert done.text == "from the fallback [S1]."
    assert done.model == "openai/backup"
    assert calls == ["openai/primary", "openai/primary", "openai/backup"]


def test_permanent_error_skips_retries_and_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _route(monkeypatch, lambda model, n: _err(litellm.AuthenticationError, model))
    gen = _gen(num_retries=3, fallbacks=["anthropic/backup"])
    with pytest.raises(GenerationError) as info:
        gen.complete(MESSAGES, max_tokens=8)
    assert calls == ["openai/primary", "anthropic/backup"]
    assert "AuthenticationError" in info.value.detail


def test_empty_reply_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    _route(monkeypatch, lambda model, n: "   ")
    with pytest.raises(GenerationError, match="empty reply"):
        _gen(num_retries=0).complete(MESSAGES, max_tokens=8)


def test_from_settings() -> None:
    settings = Settings(
        llm_model="ollama/llama3.1",
        llm_api_base="http://127.0.0.1:11434",
        llm_timeout_s=12.5,
        llm_retries=4,
        llm_fallbacks="openai/gpt-4o-mini, ,anthropic/claude-haiku",
    )
    gen = LiteLLMGenerator.from_settings(settings)
    assert gen.model_id == "ollama/llama3.1" and gen.api_base == "http://127.0.0.1:11434"
    assert (gen.timeout_s, gen.num_retries) == (12.5, 4)
    assert gen.fallbacks == ("openai/gpt-4o-mini", "anthropic/claude-haiku")
    with pytest.raises(ValueError):
        LiteLLMGenerator("")


def test_pipeline_with_litellm_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    replies = {
        1: "Acme Bank is subject to DORA [S1]. It has 7 branches [S1].",
        2: "Acme Bank is subject to DORA [S1].",
    }
    _route(monkeypatch, lambda model, n: replies[n])
    src = [Source("S1", "c:1", "d:1", "Acme Bank is subject to DORA.", 1.0)]
    result = answer(
        "Is Acme subject to DORA?", src, generator=_gen(), n_candidates=2, policy=AnswerPolicy()
    )
    assert result.answer == "Acme Bank is subject to DORA [S1]."
    assert result.generator == "litellm" and result.confidence == 1.0
    assert [c.kept for c in result.candidates] == [1, 1]
    assert [c.removed for c in result.candidates] == [0, 1]

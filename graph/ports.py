"""One small Protocol per external dependency.

Stages receive these as arguments; concrete adapters are built only in
``service.create_app`` and the CLI.  Fakes for unit tests implement them
without inheritance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from graph.model import Analysis

Params = Mapping[str, Any]
Row = dict[str, Any]


class GraphStore(Protocol):
    """Runs named, parameterized Cypher from ``cypher/``."""

    def read(self, query: str, params: Params | None = None) -> list[Row]:
        """Run one read query; rows as dicts."""
        ...

    def write(self, steps: Sequence[tuple[str, Params]]) -> list[list[Row]]:
        """Run several write queries in one transaction: all or nothing."""
        ...


class Embedder(Protocol):
    """Text to L2-normalised vectors."""

    model_id: str  # name@version, recorded on every vector
    dimension: int
    precision: str  # what the model computes in: float32 or bfloat16

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One row per text, L2-normalised."""
        ...

    @property
    def idle_workers(self) -> int:
        """How many ``embed`` calls may compute at once when nothing else needs a core
        (each with the embedder's own thread count)."""
        ...


class EntityExtractor(Protocol):
    """Sentences, entity mentions and relation candidates of texts."""

    model_id: str

    def analyse(self, texts: Sequence[str]) -> list[Analysis]:
        """One :class:`Analysis` per text, in order."""
        ...


class LLM(Protocol):
    """A chat model: messages in, text out."""

    model_id: str

    def complete(self, messages: Sequence[Mapping[str, str]], *, max_tokens: int) -> str:
        """The assistant's reply."""
        ...

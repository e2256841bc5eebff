"""One frozen Settings, read from the environment.

Defaults, then environment variables (``KGRAG_*`` plus the standard
``NEO4J_URI``/``NEO4J_USER``/``NEO4J_PASSWORD``), then explicit overrides
(``Settings.from_env(neo4j_uri=...)`` or ``dataclasses.replace``) in tests.

Where ``NEO4J_PASSWORD`` is not set, the credentials file that
``scripts/neo4j-local`` writes for the chosen instance is read, so the local
server's generated password never has to be copied by hand.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from ontology.errors import InvalidInputError


def kgrag_home() -> Path:
    return Path(os.environ.get("KGRAG_HOME", Path.home() / ".cache" / "kgrag")).expanduser()


def local_credentials(instance: str) -> dict[str, str]:
    """The env file ``scripts/neo4j-local`` wrote for an instance, or {}."""
    path = kgrag_home() / "instances" / instance / "credentials.env"
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    pairs = (line.partition("=") for line in lines if "=" in line)
    return {k.strip(): v.strip() for k, _, v in pairs}


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable; see the README's configuration table."""

    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: str = field(default="", repr=False)
    neo4j_database: str = "neo4j"
    neo4j_instance: str = "default"  # which scripts/neo4j-local instance to read credentials of
    embedding_model: str = "all-MiniLM-L6-v2"  # name, or a path to a sentence-transformers folder
    embedding_batch_size: int = 32
    embedding_threads: int = 0  # torch threads; 0 = all cores but one
    embedding_precision: str = "auto"  # float32, bfloat16, or auto (bfloat16 if the CPU has it)
    embedding_onnx: bool = True  # small calls (a question) through ONNX Runtime
    spacy_model: str = "en_core_web_sm"
    spacy_batch_size: int = 32
    ontology: str = ""  # extra ontology files, comma separated
    chunk_target_chars: int = 800
    chunk_overlap_sentences: int = 1
    link_similarity_threshold: float = 0.92
    graph_snapshot: bool = True  # retrieval expands over an in-process copy of the graph
    graph_snapshot_max_chunks: int = 500_000  # ... of graphs up to this size
    max_document_bytes: int = 10_000_000
    max_request_bytes: int = 2_000_000
    default_acl: str = "public"
    llm_model: str = ""  # a litellm model string; empty = offline extractive generator
    llm_api_base: str = ""
    llm_timeout_s: float = 60.0
    llm_retries: int = 2
    llm_fallbacks: str = ""
    api_keys_file: str = ""
    metrics_public: bool = True
    log_level: str = "INFO"

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: Any
    ) -> Settings:
        """Defaults < environment < keyword overrides."""
        env = os.environ if environ is None else environ
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"KGRAG_{f.name.upper()}")
            if f.name.startswith("neo4j_") and f.name != "neo4j_instance":
                raw = env.get(f.name.upper(), raw)
            if raw is not None:
                values[f.name] = _coerce(f.name, raw, hints[f.name])
        values.update(overrides)
        settings = cls(**values)
        if not settings.neo4j_password and "neo4j_password" not in overrides:
            creds = local_credentials(settings.neo4j_instance)
            uri = values.get("neo4j_uri") or creds.get("NEO4J_URI", settings.neo4j_uri)
            settings = dataclasses.replace(
                settings,
                neo4j_uri=uri,
                neo4j_password=creds.get("NEO4J_PASSWORD", ""),
            )
        return settings

    @property
    def ontology_paths(self) -> tuple[str, ...]:
        return tuple(p.strip() for p in self.ontology.split(",") if p.strip())

    @property
    def default_acl_groups(self) -> tuple[str, ...]:
        return tuple(g.strip() for g in self.default_acl.split(",") if g.strip())


def _coerce(name: str, raw: str, kind: Any) -> Any:
    try:
        if kind is bool:
            if raw.lower() in {"1", "true", "yes", "on"}:
                return True
            if raw.lower() in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(raw)
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
    except ValueError:
        raise InvalidInputError(
            f"setting KGRAG_{name.upper()}={raw!r} is not a valid {kind.__name__}"
        ) from None
    return raw

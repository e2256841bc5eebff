from __future__ import annotations

import pytest

from ontology.errors import InvalidInputError
from service.settings import Settings


def test_defaults_then_env_then_overrides(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KGRAG_HOME", str(tmp_path))  # no local credentials there
    env = {"NEO4J_URI": "bolt://db:7687", "NEO4J_PASSWORD": "pw",
           "KGRAG_CHUNK_TARGET_CHARS": "500", "KGRAG_METRICS_PUBLIC": "false"}
    s = Settings.from_env(env, chunk_overlap_sentences=0)
    assert s.neo4j_uri == "bolt://db:7687"
    assert s.neo4j_password == "pw"
    assert s.chunk_target_chars == 500
    assert s.metrics_public is False
    assert s.chunk_overlap_sentences == 0
    assert s.spacy_model == "en_core_web_sm"


def test_bad_number_is_a_clear_error(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KGRAG_HOME", str(tmp_path))
    with pytest.raises(InvalidInputError, match="KGRAG_CHUNK_TARGET_CHARS"):
        Settings.from_env({"KGRAG_CHUNK_TARGET_CHARS": "big"})


def test_local_credentials_fill_a_missing_password(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KGRAG_HOME", str(tmp_path))
    creds = tmp_path / "instances" / "test" / "credentials.env"
    creds.parent.mkdir(parents=True)
    creds.write_text("NEO4J_URI=bolt://127.0.0.1:17687\nNEO4J_USER=neo4j\nNEO4J_PASSWORD=s3cret\n")
    s = Settings.from_env({"KGRAG_NEO4J_INSTANCE": "test"})
    assert (s.neo4j_uri, s.neo4j_password) == ("bolt://127.0.0.1:17687", "s3cret")
    assert "s3cret" not in repr(s)


def test_settings_are_frozen() -> None:
    s = Settings()
    with pytest.raises(AttributeError):
        s.neo4j_uri = "x"  # type: ignore[misc]

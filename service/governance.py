"""What is active now: the versions an answer depends on (CLI and REST share this)."""

from __future__ import annotations

from typing import Any

from service.wiring import Services


def current_versions(svc: Services) -> dict[str, Any]:
    """Active embedding space, the other spaces, models, ontology, pipeline, prompt."""
    from graph.ingest.pipeline import PIPELINE_VERSION
    from graph.spaces import list_spaces
    from service.answer.prompt import prompt_version

    spaces = list_spaces(svc.store)
    settings = svc.settings
    return {
        "embedding_space": next((s.as_dict() for s in spaces if s.state == "active"), None),
        "other_spaces": [{"id": s.id, "state": s.state, "model_id": s.model_id}
                         for s in spaces if s.state != "active"],
        "spacy_model": settings.spacy_model,
        "ontology_version": svc.ontology.version,
        "pipeline_version": PIPELINE_VERSION,
        "generator": settings.llm_model or "extractive",
        "prompt_version": prompt_version(),
    }

"""Schema as code: constraints, vector and fulltext indexes, ontology mirror.

Every statement lives in ``cypher/schema_*.cypher`` and is idempotent
(``IF NOT EXISTS``), so ``kgrag db init`` can run any number of times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graph.cypher import all_names
from graph.store import Neo4jStore
from ontology import Ontology

if TYPE_CHECKING:
    from graph.spaces import Space

# Files applied by prefix in a loop rather than named one by one.
APPLIED_BY_PREFIX = ("schema_constraint_", "schema_fulltext_")
FULLTEXT_CHUNK = "chunk_text"
FULLTEXT_ENTITY = "entity_names"


def space_slug(model_id: str) -> str:
    """``all-MiniLM-L6-v2@0.1.0`` -> ``all_minilm_l6_v2_0_1_0`` (a legal index name part)."""
    return re.sub(r"[^a-z0-9]+", "_", model_id.lower()).strip("_")


@dataclass(frozen=True, slots=True)
class IndexNames:
    """What one embedding space reads: its two vector indexes and the node property
    holding its vectors, plus the (space-independent) fulltext indexes."""

    chunk_vector: str
    entity_vector: str
    vector_property: str
    space: str = ""
    chunk_fulltext: str = FULLTEXT_CHUNK
    entity_fulltext: str = FULLTEXT_ENTITY

    @classmethod
    def for_model(cls, model_id: str) -> IndexNames:
        slug = space_slug(model_id)
        return cls(chunk_vector=f"chunk_embedding_{slug}", entity_vector=f"entity_embedding_{slug}",
                   vector_property=f"embedding_{slug}", space=slug)

    def all(self) -> tuple[str, ...]:
        return (self.chunk_vector, self.entity_vector, self.chunk_fulltext, self.entity_fulltext)


def init_schema(
    store: Neo4jStore,
    *,
    space: Space,
    ontology: Ontology,
    timeout_s: int = 300,
) -> list[dict[str, Any]]:
    """Create constraints and indexes, mirror the ontology, wait for ONLINE.

    ``space`` is the embedding space to start with when the graph has none yet
    (the configured model); an existing active space is kept as it is.
    """
    from graph.spaces import bootstrap

    for name in all_names():
        if name.startswith(APPLIED_BY_PREFIX):
            store.run_auto(name)
    classes, edges = ontology.neo4j_rows()
    store.write([
        ("ingest_ontology_classes", {"rows": classes}),
        ("ingest_ontology_subclass", {"rows": edges}),
        ("graph_state_init", {}),
    ])
    bootstrap(store, space)
    store.run_auto("schema_await_indexes", {"timeout_s": timeout_s})
    return store.read("schema_show_indexes")


def reset_database(store: Neo4jStore, batch: int = 5_000) -> int:
    """Delete every node and relationship (schema stays). Returns nodes deleted.

    Relationships first, then nodes, each in transactions of ``batch``: deleting
    a hub entity with its tens of thousands of relationships, or 10k chunks with
    their vectors, in one transaction overran the server's transaction memory
    (716 MiB with a 1 GiB heap) on a 100k-chunk graph.
    """
    while store.write([("admin_delete_relationships_batch", {"batch": batch})])[0][0][
            "deleted"] >= batch:
        pass
    total = 0
    while True:
        deleted = store.write([("admin_delete_batch", {"batch": batch})])[0][0]["deleted"]
        total += deleted
        if deleted < batch:
            return total


def database_status(store: Neo4jStore) -> dict[str, Any]:
    """Server version, counts by label and type, index states."""
    comp = store.read("admin_components")
    return {
        "server": {r["name"]: f"{r['version']} {r['edition']}" for r in comp},
        "labels": {r["label"]: r["n"] for r in store.read("admin_count_labels")},
        "relationships": {r["type"]: r["n"] for r in store.read("admin_count_types")},
        "indexes": store.read("schema_show_indexes"),
        "constraints": store.read("schema_show_constraints"),
    }


def readiness(store: Neo4jStore, names: IndexNames) -> tuple[bool, str]:
    """Ready when Neo4j answers and every index we need is ONLINE."""
    states = {r["name"]: r["state"] for r in store.read("schema_show_indexes")}
    missing = [n for n in names.all() if n not in states]
    if missing:
        return False, f"indexes missing: {', '.join(missing)} (run `kgrag db init`)"
    offline = [f"{n}={states[n]}" for n in names.all() if states[n] != "ONLINE"]
    if offline:
        return False, f"indexes not ONLINE: {', '.join(offline)}"
    return True, "ok"

"""What the expand stage reads from the graph: three questions, two answerers.

:class:`CypherGraph` asks Neo4j (``retrieve_chunk_entities``,
``retrieve_neighbours``, ``retrieve_entity_chunks``); :class:`graph.retrieve.
snapshot.GraphSnapshot` answers the same questions, row for row, from an
in-process copy of the graph.  Both filter by the principal's groups exactly as
the Cypher does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from graph.ports import GraphStore

Vector = npt.NDArray[np.float32]


class GraphReader(Protocol):
    """The graph as the expand stage sees it (row shapes: see the Cypher files)."""

    def chunk_entities(self, chunk_ids: Sequence[str], groups: Sequence[str],
                       skip_types: Sequence[str], df_cap: int) -> list[dict[str, Any]]:
        """retrieve_chunk_entities.cypher: the entities readable chunks mention."""
        ...

    def neighbours(self, frontier: Sequence[str], relation_types: Sequence[str],
                   groups: Sequence[str], skip_types: Sequence[str], *, budget: int,
                   per_node: int, df_cap: int) -> list[list[Any]]:
        """retrieve_neighbours.cypher: one hop over readable typed relations."""
        ...

    def entity_chunks(self, entity_ids: Sequence[str], embedding: Vector,
                      relation_embedding: Vector, groups: Sequence[str],
                      per_entity: int) -> list[list[Any]]:
        """retrieve_entity_chunks.cypher: each entity's most similar readable chunks."""
        ...


class CypherGraph:
    """:class:`GraphReader` over Neo4j queries; ``vector_property`` holds the vectors."""

    def __init__(self, store: GraphStore, vector_property: str) -> None:
        self.store = store
        self.vector_property = vector_property

    def chunk_entities(self, chunk_ids: Sequence[str], groups: Sequence[str],
                       skip_types: Sequence[str], df_cap: int) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.store.read("retrieve_chunk_entities", {
            "chunk_ids": list(chunk_ids), "groups": list(groups),
            "skip_types": list(skip_types), "df_cap": df_cap})[0]["mentions"]
        return rows

    def neighbours(self, frontier: Sequence[str], relation_types: Sequence[str],
                   groups: Sequence[str], skip_types: Sequence[str], *, budget: int,
                   per_node: int, df_cap: int) -> list[list[Any]]:
        rows: list[list[Any]] = self.store.read("retrieve_neighbours", {
            "frontier": list(frontier), "types": list(relation_types), "groups": list(groups),
            "skip_types": list(skip_types), "budget": budget, "per_node": per_node,
            "df_cap": df_cap})[0]["edges"]
        return rows

    def entity_chunks(self, entity_ids: Sequence[str], embedding: Vector,
                      relation_embedding: Vector, groups: Sequence[str],
                      per_entity: int) -> list[list[Any]]:
        rows: list[list[Any]] = self.store.read("retrieve_entity_chunks", {
            "entity_ids": list(entity_ids), "groups": list(groups),
            "embedding": embedding.tolist(), "relation_embedding": relation_embedding.tolist(),
            "property": self.vector_property, "per_entity": per_entity})[0]["entities"]
        return rows

// A new embedding space (idempotent: an existing one is returned unchanged).
MERGE (s:EmbeddingSpace {id: $space.id})
ON CREATE SET s += $space, s.created_at = datetime(), s.chunks_done = 0,
              s.entities_done = 0, s.batches_done = 0
RETURN s.id AS id, s.state AS state

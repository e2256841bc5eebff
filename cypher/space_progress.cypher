// Progress of a build, written in the transaction that stores the batch's vectors.
MATCH (s:EmbeddingSpace {id: $id})
SET s.chunks_done = s.chunks_done + $chunks, s.entities_done = s.entities_done + $entities,
    s.batches_done = s.batches_done + 1, s.updated_at = datetime()
RETURN s.batches_done AS batches_done

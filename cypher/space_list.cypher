// Every embedding space, oldest first.
MATCH (s:EmbeddingSpace)
RETURN s {.*, created_at: toString(s.created_at), activated_at: toString(s.activated_at),
          built_at: toString(s.built_at)} AS space
ORDER BY s.created_at, s.id

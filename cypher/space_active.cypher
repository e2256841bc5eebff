MATCH (s:EmbeddingSpace {state: 'active'})
RETURN s {.*, created_at: toString(s.created_at), activated_at: toString(s.activated_at),
          built_at: toString(s.built_at)} AS space

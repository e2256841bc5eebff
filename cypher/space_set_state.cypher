MATCH (s:EmbeddingSpace {id: $id})
SET s.state = $state, s.built_at = CASE WHEN $state = 'ready' THEN datetime() ELSE s.built_at END
RETURN s.state AS state

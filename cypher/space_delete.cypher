// Remove a space's record; refuses (returns nothing) while it is active.
MATCH (s:EmbeddingSpace {id: $id})
WHERE s.state <> 'active'
DELETE s
RETURN $id AS id

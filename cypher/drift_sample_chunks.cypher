// A fixed probe sample: the first $n chunks by content hash (stable across runs,
// spread over documents) that have vectors in both spaces' properties.
MATCH (c:Chunk)
WHERE c[$a] IS NOT NULL AND c[$b] IS NOT NULL
RETURN c.id AS id, c.text AS text, c[$a] AS va, c[$b] AS vb
ORDER BY c.sha256, c.id
LIMIT $n

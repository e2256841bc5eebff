// Typed relations of an entity whose evidence chunk the caller may read, with the
// chunk text so the caller can cut the exact quote; strongest first.
MATCH (e:Entity {id: $id})-[r]-(n:Entity)
WHERE type(r) IN $types AND r.chunk_id IS NOT NULL
MATCH (c:Chunk {id: r.chunk_id})
WHERE any(g IN c.acl WHERE g IN $groups)
RETURN type(r) AS relation, coalesce(r.predicate, '') AS predicate,
       startNode(r) = e AS outgoing, n.id AS other_id, n.name AS other_name,
       n.type AS other_type, coalesce(r.confidence, 1.0) AS confidence,
       c.id AS chunk_id, c.doc_id AS doc_id, r.char_start AS char_start,
       r.char_end AS char_end, c.text AS text
ORDER BY confidence DESC, other_id, chunk_id, char_start
LIMIT $limit

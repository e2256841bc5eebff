// Entities the seed chunks mention (value types such as dates excluded).
UNWIND $chunk_ids AS cid
MATCH (c:Chunk {id: cid})-[:MENTIONS]->(e:Entity)
WHERE any(g IN c.acl WHERE g IN $groups) AND NOT e.type IN $skip_types
RETURN DISTINCT cid AS chunk_id, e.id AS entity_id
ORDER BY chunk_id, entity_id

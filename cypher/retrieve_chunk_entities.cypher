// Entities the given chunks mention (value types such as dates excluded), with
// where, and how many readable chunks mention each (its document frequency).
UNWIND $chunk_ids AS cid
MATCH (c:Chunk {id: cid})-[m:MENTIONS]->(e:Entity)
WHERE any(g IN c.acl WHERE g IN $groups) AND NOT e.type IN $skip_types
WITH cid, e, m ORDER BY m.char_start
WITH cid, e, collect(m)[0] AS m
RETURN cid AS chunk_id, e.id AS entity_id, m.char_start AS char_start, m.char_end AS char_end,
       COUNT { MATCH (x:Chunk)-[:MENTIONS]->(e) WHERE any(g IN x.acl WHERE g IN $groups) } AS df
ORDER BY chunk_id, entity_id

// Entities the given chunks mention (value types such as dates excluded), with
// where, their name, and how many readable chunks mention each (its document
// frequency, counted up to $df_cap: past it the exact count changes nothing).
// One row, its list in (chunk_id, entity_id) order: the driver decodes
// one record instead of one per mention.
UNWIND $chunk_ids AS cid
MATCH (c:Chunk {id: cid})-[m:MENTIONS]->(e:Entity)
WHERE any(g IN c.acl WHERE g IN $groups) AND NOT e.type IN $skip_types
WITH cid, e, m ORDER BY m.char_start
WITH cid, e, collect(m)[0] AS m
WITH cid AS chunk_id, e.id AS entity_id, e.name AS name, m.char_start AS char_start,
     m.char_end AS char_end,
     size(COLLECT { MATCH (x:Chunk)-[:MENTIONS]->(e) WHERE any(g IN x.acl WHERE g IN $groups)
                    RETURN 1 LIMIT $df_cap }) AS df
ORDER BY chunk_id, entity_id
RETURN collect({chunk_id: chunk_id, entity_id: entity_id, name: name, char_start: char_start,
                char_end: char_end, df: df}) AS mentions

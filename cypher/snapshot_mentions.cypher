// Every mention: which chunk names which entity, where (graph/retrieve/snapshot.py).
MATCH (c:Chunk)-[m:MENTIONS]->(e:Entity)
RETURN c.id AS chunk_id, e.id AS entity_id, m.char_start AS char_start,
       m.char_end AS char_end

UNWIND $rows AS row
MATCH (c:Chunk {id: row.chunk_id}), (e:Entity {id: row.entity_id})
CREATE (c)-[:MENTIONS {char_start: row.start, char_end: row.end, surface: row.surface,
                       extractor: row.extractor}]->(e)

// Weaker edges: entities mentioned in the same chunk, counted by chunk.
UNWIND $rows AS row
MATCH (a:Entity {id: row.a}), (b:Entity {id: row.b})
MERGE (a)-[r:CO_MENTIONED]->(b)
ON CREATE SET r.chunk_ids = []
SET r.chunk_ids = r.chunk_ids + [row.chunk_id]
SET r.count = size(r.chunk_ids)

// $rows[].type was checked against the ontology allow-list before it got here.
UNWIND $rows AS row
MATCH (h:Entity {id: row.head}), (t:Entity {id: row.tail}), (c:Chunk {id: row.chunk_id})
CREATE (h)-[r:$(row.type) {predicate: row.predicate, chunk_id: row.chunk_id,
                            doc_id: c.doc_id, acl: c.acl, char_start: row.start,
                            char_end: row.end, confidence: row.confidence,
                            extractor: row.extractor}]->(t)

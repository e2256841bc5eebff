// row.vectors is {embedding_<space>: vector} for each embedding space being written.
UNWIND $rows AS row
MATCH (d:Document {id: row.doc_id})
CREATE (c:Chunk {id: row.id, seq: row.seq, text: row.text, char_start: row.char_start,
                 char_end: row.char_end, sha256: row.sha256, acl: d.acl, doc_id: d.id,
                 embedding_model: $embedding_model})
SET c += row.vectors
CREATE (d)-[:HAS_CHUNK]->(c)
WITH c, row WHERE row.prev IS NOT NULL
MATCH (p:Chunk {id: row.prev})
CREATE (p)-[:NEXT]->(c)

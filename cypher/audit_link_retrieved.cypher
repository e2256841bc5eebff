// What the run retrieved; chunks deleted since retrieval are skipped (the Query
// keeps its own snapshot of them in q.retrieved).
MATCH (q:Query {id: $query_id})
UNWIND $rows AS row
MATCH (c:Chunk {id: row.chunk_id})
CREATE (q)-[:RETRIEVED {rank: row.rank, score: row.score, found_by: row.found_by,
                        doc_id: row.doc_id, doc_version: row.version,
                        doc_sha256: row.sha256, run_id: row.run_id}]->(c)
RETURN count(*) AS linked

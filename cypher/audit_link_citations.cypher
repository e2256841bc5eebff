// The answer's citations; quotes are the exact spans of the stored chunk text.
MATCH (a:Answer {id: $answer_id})
UNWIND $rows AS row
MATCH (c:Chunk {id: row.chunk_id})
CREATE (a)-[:CITES {source: row.source, char_start: row.char_start,
                    char_end: row.char_end, quote: row.quote}]->(c)
RETURN count(*) AS linked

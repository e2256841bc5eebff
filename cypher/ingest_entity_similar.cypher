// Near-duplicate candidates by entity-vector similarity (exact top-k).
UNWIND $rows AS row
CALL db.index.vector.queryNodes($index, 3, row.embedding) YIELD node, score
WHERE score >= $threshold AND node.type = row.type
RETURN row.key AS key, node.id AS id, score ORDER BY key, score DESC

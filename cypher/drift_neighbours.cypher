// Top-k chunk ids of each probe vector in one space's index (exact for small graphs).
UNWIND $rows AS row
CALL db.index.vector.queryNodes($index, $k, row.vector) YIELD node, score
WITH row, node ORDER BY score DESC, node.id
RETURN row.key AS key, collect(node.id) AS ids

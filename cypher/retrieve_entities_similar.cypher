// Mentions no key matched: nearest entity vectors above a threshold, ACL-visible.
UNWIND $rows AS row
CALL db.index.vector.queryNodes($index, $pool, row.embedding) YIELD node AS e, score
WHERE score >= $threshold
  AND EXISTS { MATCH (c:Chunk)-[:MENTIONS]->(e) WHERE any(g IN c.acl WHERE g IN $groups) }
WITH row, e, score ORDER BY score DESC, e.id
WITH row, collect({id: e.id, name: e.name, type: e.type, score: score})[0] AS best
RETURN row.key AS key, best.id AS id, best.name AS name, best.type AS type, best.score AS score

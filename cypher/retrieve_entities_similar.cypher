// Mentions no key matched: nearest entity vectors above a threshold, ACL-visible.
UNWIND $rows AS row
CALL db.index.vector.queryNodes($index, $pool, row.embedding) YIELD node AS e, score
WHERE score >= $threshold
WITH row, e, score,
     COUNT { MATCH (c:Chunk)-[:MENTIONS]->(e) WHERE any(g IN c.acl WHERE g IN $groups) } AS df
WHERE df > 0
WITH row, e, score, df ORDER BY score DESC, e.id
WITH row, collect({id: e.id, name: e.name, type: e.type, score: score, df: df})[0] AS best
RETURN row.key AS key, best.id AS id, best.name AS name, best.type AS type,
       best.score AS score, best.df AS df

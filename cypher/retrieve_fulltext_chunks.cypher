// BM25 top-k chunks among those the principal may read.
CALL db.index.fulltext.queryNodes($index, $lucene, {limit: $pool}) YIELD node AS c, score
WHERE any(g IN c.acl WHERE g IN $groups)
RETURN c.id AS id, score
ORDER BY score DESC, id
LIMIT $k

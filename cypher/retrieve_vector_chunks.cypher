// Top-k chunks by cosine similarity among those the principal may read. The
// candidate pool is widened by the caller until k visible chunks are found.
CALL db.index.vector.queryNodes($index, $pool, $embedding) YIELD node AS c, score
WHERE any(g IN c.acl WHERE g IN $groups)
RETURN c.id AS id, score
ORDER BY score DESC, id
LIMIT $k

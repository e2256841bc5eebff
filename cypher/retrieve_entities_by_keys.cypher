// Question mentions to entities by normalised key. The fulltext index narrows the
// candidates; the key list decides. Only entities a visible chunk mentions count;
// df (readable chunks that mention the entity) measures how specific it is.
UNWIND $rows AS row
CALL db.index.fulltext.queryNodes($index, row.lucene, {limit: 20}) YIELD node AS e
WHERE row.key IN e.keys
WITH row, e, COUNT { MATCH (c:Chunk)-[:MENTIONS]->(e) WHERE any(g IN c.acl WHERE g IN $groups) } AS df
WHERE df > 0
RETURN row.key AS key, e.id AS id, e.name AS name, e.type AS type, df
ORDER BY key, id

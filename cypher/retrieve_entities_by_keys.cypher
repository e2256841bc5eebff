// Question mentions to entities by normalised key. The fulltext index narrows the
// candidates; the key list decides. Only entities a visible chunk mentions count.
UNWIND $rows AS row
CALL db.index.fulltext.queryNodes($index, row.lucene, {limit: 20}) YIELD node AS e
WHERE row.key IN e.keys
  AND EXISTS { MATCH (c:Chunk)-[:MENTIONS]->(e) WHERE any(g IN c.acl WHERE g IN $groups) }
RETURN row.key AS key, e.id AS id, e.name AS name, e.type AS type
ORDER BY key, id

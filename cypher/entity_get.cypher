// An entity, if at least one chunk the caller may read mentions it.
MATCH (e:Entity {id: $id})
CALL (e) {
  MATCH (c:Chunk)-[:MENTIONS]->(e)
  WHERE any(g IN c.acl WHERE g IN $groups)
  RETURN count(DISTINCT c) AS mentions
}
WITH e, mentions
WHERE mentions > 0
RETURN e.id AS id, e.name AS name, e.type AS type, coalesce(e.aliases, []) AS aliases,
       mentions

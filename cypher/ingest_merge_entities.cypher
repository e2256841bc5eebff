// Two entities found to be one (an acronym defined after both were seen):
// move mentions and relations from `gone` to `keep`, then delete `gone`.
// Relationship types are copied from the stored relationships themselves.
UNWIND $rows AS row
MATCH (keep:Entity {id: row.keep}), (gone:Entity {id: row.gone})
CALL (keep, gone) {
  MATCH (c:Chunk)-[m:MENTIONS]->(gone)
  CREATE (c)-[m2:MENTIONS]->(keep)
  SET m2 = properties(m)
  DELETE m
}
CALL (keep, gone) {
  MATCH (gone)-[r]->(t:Entity) WHERE t <> keep
  CREATE (keep)-[r2:$(type(r))]->(t)
  SET r2 = properties(r)
  DELETE r
}
CALL (keep, gone) {
  MATCH (s:Entity)-[r]->(gone) WHERE s <> keep
  CREATE (s)-[r2:$(type(r))]->(keep)
  SET r2 = properties(r)
  DELETE r
}
SET keep.aliases = keep.aliases + [a IN gone.aliases + [gone.name]
                                   WHERE NOT a IN keep.aliases AND a <> keep.name],
    keep.keys = keep.keys + [k IN gone.keys WHERE NOT k IN keep.keys]
DETACH DELETE gone

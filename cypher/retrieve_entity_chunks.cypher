// Chunks that mention the subgraph's entities, a bounded number per entity, with
// their similarity to the question and the entity's document frequency.
UNWIND $entity_ids AS id
MATCH (e:Entity {id: id})
CALL (e) {
  MATCH (c:Chunk)-[m:MENTIONS]->(e)
  WHERE any(g IN c.acl WHERE g IN $groups)
  WITH c, m, vector.similarity.cosine(c[$property], $embedding) AS sim
  RETURN c.id AS chunk_id, m.char_start AS char_start, m.char_end AS char_end, sim
  ORDER BY sim DESC, chunk_id, char_start
  LIMIT $per_entity
}
RETURN e.id AS entity_id, chunk_id, char_start, char_end, sim

// Chunks that mention the subgraph's entities, the $per_entity most similar to the
// question for each entity, with their cosine similarity to the question
// ($embedding) and to the question without its names ($relation_embedding).
// A chunk's vector is read once however many of the entities it mentions (reading
// vectors is most of the cost). One row: a list of [entity_id, name, chunks], the
// chunks as [chunk_id, char_start, char_end, sim, rel_sim], best first.
UNWIND $entity_ids AS id
MATCH (e:Entity {id: id})<-[m:MENTIONS]-(c:Chunk)
WHERE any(g IN c.acl WHERE g IN $groups)
WITH c, collect([e, m.char_start, m.char_end]) AS mentions
WITH c.id AS chunk_id, mentions, c[$property] AS vector
WITH chunk_id, mentions, vector.similarity.cosine(vector, $embedding) AS sim,
     vector.similarity.cosine(vector, $relation_embedding) AS rel_sim
UNWIND mentions AS m
WITH m[0] AS e, chunk_id, m[1] AS char_start, m[2] AS char_end, sim, rel_sim
ORDER BY e.id, sim DESC, chunk_id, char_start
WITH e, collect([chunk_id, char_start, char_end, sim, rel_sim])[..$per_entity] AS chunks
RETURN collect([e.id, e.name, chunks]) AS entities

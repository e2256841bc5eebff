// Move one batch of vectors from the pre-space property `embedding` into the
// default space's property (databases ingested before embedding spaces existed).
CALL () {
  MATCH (c:Chunk) WHERE c.embedding IS NOT NULL
  WITH c LIMIT $batch
  SET c[$property] = c.embedding
  REMOVE c.embedding
  RETURN count(c) AS chunks
}
CALL () {
  MATCH (e:Entity) WHERE e.embedding IS NOT NULL
  WITH e LIMIT $batch
  SET e[$property] = e.embedding
  REMOVE e.embedding
  RETURN count(e) AS entities
}
RETURN chunks + entities AS moved

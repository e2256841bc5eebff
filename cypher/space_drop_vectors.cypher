// Remove one batch of a dropped space's vectors; the caller loops until 0.
CALL () {
  MATCH (c:Chunk) WHERE c[$property] IS NOT NULL
  WITH c LIMIT $batch
  REMOVE c[$property]
  RETURN count(c) AS chunks
}
CALL () {
  MATCH (e:Entity) WHERE e[$property] IS NOT NULL
  WITH e LIMIT $batch
  REMOVE e[$property]
  RETURN count(e) AS entities
}
RETURN chunks + entities AS removed

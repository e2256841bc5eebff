// How many chunks and entities still lack a vector in the space.
CALL () { MATCH (c:Chunk) WHERE c[$property] IS NULL RETURN count(c) AS chunks }
CALL () { MATCH (e:Entity) WHERE e[$property] IS NULL RETURN count(e) AS entities }
RETURN chunks, entities

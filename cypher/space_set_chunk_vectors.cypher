UNWIND $rows AS row
MATCH (c:Chunk {id: row.id})
SET c[$property] = row.vector
RETURN count(c) AS n

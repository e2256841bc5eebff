UNWIND $rows AS row
MATCH (e:Entity {id: row.id})
SET e[$property] = row.vector
RETURN count(e) AS n

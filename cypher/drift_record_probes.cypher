// The reference a later `kgrag drift` compares against: each probe's text, its
// vector and its top-k chunk ids in the space, as they are now.
MATCH (old:DriftProbe {space: $space})
DETACH DELETE old
WITH count(*) AS _
UNWIND $rows AS row
CREATE (p:DriftProbe {id: row.id, space: $space, text: row.text, embedding: row.vector,
                      topk: row.ids, recorded_at: datetime()})
RETURN count(p) AS n

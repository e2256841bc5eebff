// One hop of bounded expansion over typed relations whose evidence the
// principal may read; a restricted fact is never a stepping stone. At most
// $per_node relations per entity, strongest first, so a hub cannot eat the budget.
// One row: its edges as [src, dst, type, forward, lemma, chunk_id, char_start,
// char_end, confidence, df] (df: readable chunks mentioning dst, counted up to
// $df_cap: past it a hub's exact count changes nothing and costs a scan) in
// (src, confidence DESC, dst, chunk_id, char_start) order
// (lists, not maps: the driver decodes every key of every map).
UNWIND $frontier AS id
MATCH (e:Entity {id: id})
CALL (e) {
  MATCH (e)-[r]-(n:Entity)
  WHERE type(r) IN $types AND any(g IN r.acl WHERE g IN $groups)
    AND NOT n.type IN $skip_types
  RETURN r, n
  ORDER BY r.confidence DESC, n.id, r.chunk_id, r.char_start
  LIMIT $per_node
}
WITH e.id AS src, n.id AS dst, type(r) AS type, startNode(r) = e AS forward,
     r.predicate AS lemma, r.chunk_id AS chunk_id, r.char_start AS char_start,
     r.char_end AS char_end, r.confidence AS confidence, n
ORDER BY src, confidence DESC, dst, chunk_id, char_start
LIMIT $budget
WITH src, dst, type, forward, lemma, chunk_id, char_start, char_end, confidence,
     size(COLLECT { MATCH (x:Chunk)-[:MENTIONS]->(n) WHERE any(g IN x.acl WHERE g IN $groups)
                    RETURN 1 LIMIT $df_cap }) AS df
RETURN collect([src, dst, type, forward, lemma, chunk_id, char_start, char_end,
                confidence, df]) AS edges

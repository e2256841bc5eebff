// Documents an audited answer rests on that changed (new version or sha256) or
// were deleted since it was recorded, for Neo4j Browser.
//   :param audit_id => "q:..."
// Compares each provenance path's document step (the version read at the time)
// with the Document node now.
MATCH (q:Query {id: $audit_id})-[:ANSWERED_BY*0..1]->()-[:HAS_PATH]->(:ProvenancePath)
      -[:HAS_STEP]->(s:PathStep {kind: "document"})
WITH q, s.doc_id AS doc_id, s.uri AS uri, s.version AS recorded_version,
     s.sha256 AS recorded_sha256
WITH DISTINCT q, doc_id, uri, recorded_version, recorded_sha256
OPTIONAL MATCH (d:Document {id: doc_id})
WITH q, doc_id, uri, recorded_version, recorded_sha256, d
WHERE d IS NULL OR d.version <> recorded_version OR d.sha256 <> recorded_sha256
RETURN doc_id, uri, CASE WHEN d IS NULL THEN "deleted" ELSE "changed" END AS status,
       recorded_version, d.version AS current_version, recorded_sha256,
       d.sha256 AS current_sha256, toString(q.at) AS answered_at,
       toString(d.ingested_at) AS ingested_at
ORDER BY doc_id

// Every recorded answer that cites a document, newest first, for Neo4j Browser.
//   :param doc_id => "reg-1"
// Uses the Answer's own list of cited documents, so answers are found even after
// the document was re-ingested or deleted; the drawn CITES edges exist only while
// the cited chunk does.
MATCH (q:Query)-[:ANSWERED_BY]->(a:Answer)
WHERE $doc_id IN a.cited_doc_ids
OPTIONAL MATCH cited = (a)-[:CITES]->(:Chunk)<-[:HAS_CHUNK]-(:Document {id: $doc_id})
RETURN q.id AS audit_id, q.text AS question, q.principal AS principal,
       toString(q.at) AS asked_at, a.verdict AS verdict, a.model AS model,
       a.prompt_version AS prompt_version, a.text AS answer, collect(cited) AS citations
ORDER BY asked_at DESC

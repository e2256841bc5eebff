// Recorded answers by generation model and/or prompt version, newest first.
//   :param model => "extractive/1"
//   :param prompt_version => null
// Set the one you do not filter on to null (Browser needs both parameters set).
MATCH path = (q:Query)-[:ANSWERED_BY]->(a:Answer)
WHERE ($model IS NULL OR a.model = $model)
  AND ($prompt_version IS NULL OR a.prompt_version = $prompt_version)
RETURN q.id AS audit_id, q.text AS question, q.principal AS principal,
       toString(q.at) AS asked_at, a.generator AS generator, a.model AS model,
       a.prompt_version AS prompt_version, a.verdict AS verdict,
       a.confidence AS confidence, path
ORDER BY asked_at DESC
LIMIT 200

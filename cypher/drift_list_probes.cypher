MATCH (p:DriftProbe {space: $space})
RETURN p.id AS id, p.text AS text, p.embedding AS vector, p.topk AS ids,
       toString(p.recorded_at) AS recorded_at
ORDER BY p.id

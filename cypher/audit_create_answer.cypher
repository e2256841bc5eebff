// The checked answer of an audited run.
MATCH (q:Query {id: $query_id})
CREATE (a:Answer)
SET a = $props
CREATE (q)-[:ANSWERED_BY]->(a)
RETURN a.id AS id

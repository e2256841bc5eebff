// Feedback on an audited query; only its asker (or an admin) may rate it.
MATCH (q:Query {id: $audit_id})
WHERE $admin OR q.principal = $principal
CREATE (f:Feedback {id: $id, rating: $rating, comment: $comment, principal: $principal,
                    at: datetime()})-[:ABOUT]->(q)
RETURN f.id AS id, toString(f.at) AS at

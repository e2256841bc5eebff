// One audit record: the Query and its Answer (if any), as stored.
MATCH (q:Query {id: $id})
OPTIONAL MATCH (q)-[:ANSWERED_BY]->(a:Answer)
RETURN q {.*, at: toString(q.at)} AS query, a {.*} AS answer

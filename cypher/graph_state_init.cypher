// The node whose token graph_state_touch.cypher renews (db init).
MERGE (s:GraphState {id: 'content'})
ON CREATE SET s.token = randomUUID()

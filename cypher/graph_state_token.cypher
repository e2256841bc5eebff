// The token that changes with every write to what retrieval reads (see
// graph_state_touch.cypher); no row where the graph keeps none.
MATCH (s:GraphState {id: 'content'})
RETURN s.token AS token

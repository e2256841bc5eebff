// The node whose token graph_state_touch.cypher renews (db init). A new token here
// too: `kgrag db init` after editing the graph by hand retires in-process snapshots.
MERGE (s:GraphState {id: 'content'})
SET s.token = randomUUID()

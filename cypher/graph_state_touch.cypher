// The last step of every transaction that changes chunks, entities, mentions,
// relations or vectors: a new token tells in-process snapshots of the graph
// (graph/retrieve/snapshot.py) that they are out of date.
MATCH (s:GraphState {id: 'content'})
SET s.token = randomUUID()

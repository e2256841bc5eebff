// Readable chunks that contain each literal of the question (a number such as an
// ISO code), the first $cap of them by id, with their text (to find the sentence
// that states the literal): a literal in few chunks is as specific as a named
// entity. Every hit is read before the ACL test, so chunks the principal may not
// read never decide whether a literal counts. $literals are plain digits.
UNWIND $literals AS literal
CALL (literal) {
  CALL db.index.fulltext.queryNodes($index, literal) YIELD node AS c
  WHERE any(g IN c.acl WHERE g IN $groups)
  WITH c ORDER BY c.id LIMIT $cap
  RETURN collect([c.id, c.text]) AS chunks
}
RETURN literal, chunks

// How many chunks a snapshot would copy (from the count store: no scan).
MATCH (c:Chunk)
RETURN count(c) AS chunks

// Write-lock every space node first, so two activations (or an activation and a
// drop) serialize instead of both seeing the same "active" space.
MATCH (s:EmbeddingSpace)
SET s.state = s.state
RETURN count(s) AS n

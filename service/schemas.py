"""Validation models at the HTTP edge: the request schemas the views load with, the
response schemas they serialize with, and so the OpenAPI 3.1 document.

Requests are strict: unknown fields and wrong JSON types (``"5"`` for an integer,
``true`` for a number) are 422s.  Response schemas name every top-level field; the
nested provenance steps are typed loosely (``kind`` plus its own fields) because a
step's fields depend on its kind.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

MODES = ("vector", "fulltext", "hybrid", "graph")
MAX_QUESTION = 2000
_ACL_ENTRY = r"^[A-Za-z0-9_.:-]+$"
_NO_CONTROL = r"^[^\x00-\x1f\x7f]+$"


class StrictInteger(fields.Integer):
    """A JSON Schema integer: ``3`` or ``3.0``; never ``"3"``, ``3.5`` or ``true``."""

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid", input=value)
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid", input=value)
        return int(value)


class Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class Open(ma.Schema):
    """Response schemas: declared fields are dumped; clients must accept extra fields."""

    class Meta:
        unknown = ma.INCLUDE


# -- requests ---------------------------------------------------------------------------


class RetrieveRequest(Strict):
    question = fields.String(required=True, validate=validate.Length(1, MAX_QUESTION),
                             metadata={"description": "The question, in natural language."})
    k = StrictInteger(load_default=5, validate=validate.Range(1, 100),
                      metadata={"description": "Chunks to return."})
    mode = fields.String(load_default="graph", validate=validate.OneOf(MODES),
                         metadata={"description": "Which retrieval lists to fuse."})
    hops = StrictInteger(load_default=2, validate=validate.Range(0, 3),
                         metadata={"description": "Relation hops to expand (graph mode)."})


class QueryRequest(RetrieveRequest):
    n_candidates = StrictInteger(load_default=1, validate=validate.Range(1, 5), metadata={
        "description": "Sampled answers to choose from (LLM generators only)."})


class DocumentRequest(Strict):
    id = fields.String(validate=[validate.Length(1, 200), validate.Regexp(_NO_CONTROL)],
                       metadata={"description": "Default: derived from the text's hash."})
    title = fields.String(required=True, validate=validate.Length(1, 500))
    text = fields.String(required=True, validate=validate.Length(1))
    uri = fields.String(validate=validate.Length(1, 2000))
    acl = fields.List(fields.String(validate=validate.Regexp(_ACL_ENTRY)),
                      validate=validate.Length(1, 50),
                      metadata={"description": "Groups that may read it (default: public)."})


class UploadRequest(Strict):
    file = fields.Raw(required=True, metadata={
        "type": "string", "format": "binary",
        "description": ".txt .md .html .pdf or .jsonl (a document per line)"})


class FeedbackRequest(Strict):
    audit_id = fields.String(required=True, validate=validate.Length(1, 200))
    rating = StrictInteger(required=True, validate=validate.Range(1, 5))
    comment = fields.String(validate=validate.Length(0, 4000))


class AuditQuery(Strict):
    format = fields.String(load_default="json",
                           validate=validate.OneOf(("json", "prov-ttl", "prov-jsonld")))


# -- responses --------------------------------------------------------------------------


class ProblemSchema(Open):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String(required=True)
    request_id = fields.String()
    errors = fields.List(fields.Dict(), metadata={
        "description": "Field errors: {in, field, messages}."})


class StepSchema(Open):
    kind = fields.String(required=True, validate=validate.OneOf(
        ("query_entity", "relation", "entity", "search", "chunk", "document")))


class PathSchema(Open):
    path_id = fields.String(required=True)
    chunk_id = fields.String(required=True)
    score = fields.Float(required=True)
    hops = fields.Integer(required=True)
    steps = fields.List(fields.Dict(), required=True, metadata={
        "description": "Steps: query_entity, relation (with evidence), entity, search, "
                       "chunk (with quote), document."})


class ChunkSchema(Open):
    id = fields.String(required=True)
    doc_id = fields.String(required=True)
    text = fields.String(required=True)
    score = fields.Float(required=True)
    rank = fields.Integer(required=True)
    uri = fields.String(required=True)
    title = fields.String(required=True)
    version = fields.Integer(required=True)
    found_by = fields.List(fields.String(), required=True)


class QuestionEntitySchema(Open):
    surface = fields.String(required=True)
    entity_id = fields.String(required=True)
    name = fields.String(required=True)
    type = fields.String(required=True)
    method = fields.String(required=True)
    score = fields.Float(required=True)


_TIMINGS = fields.Dict(keys=fields.String(), values=fields.Float(), required=True,
                       metadata={"description": "Milliseconds per retrieval stage."})
_AUDIT_ID = fields.String(required=True, allow_none=True, metadata={
    "description": "Id of the stored audit record (null when auditing is not installed)."})


class RetrievalSchema(Open):
    question = fields.String(required=True)
    mode = fields.String(required=True)
    chunks = fields.List(fields.Nested(ChunkSchema), required=True)
    paths = fields.List(fields.Nested(PathSchema), required=True)
    question_entities = fields.List(fields.Nested(QuestionEntitySchema), required=True)
    timings_ms = _TIMINGS
    index = fields.String(required=True)
    space = fields.String(metadata={"description": "The embedding space read (its id)."})
    embedding_model = fields.String(metadata={"description": "Model that embedded the question."})
    audit_id = _AUDIT_ID


class CitationSchema(Open):
    source = fields.String(required=True)
    chunk_id = fields.String(required=True)
    doc_id = fields.String(required=True)
    char_start = fields.Integer(required=True)
    char_end = fields.Integer(required=True)
    quote = fields.String(required=True)


class GuardSchema(Open):
    name = fields.String(required=True)
    verdict = fields.String(required=True)
    detail = fields.String(required=True)


class AnswerSchema(Open):
    answer = fields.String(required=True)
    abstained = fields.Boolean(required=True)
    reason = fields.String(required=True, allow_none=True)
    citations = fields.List(fields.Nested(CitationSchema), required=True)
    paths = fields.List(fields.Nested(PathSchema), required=True)
    confidence = fields.Float(required=True)
    guards = fields.List(fields.Nested(GuardSchema), required=True)
    generator = fields.String(required=True)
    model = fields.String(required=True)
    prompt_version = fields.String(required=True)
    chunks = fields.List(fields.Nested(ChunkSchema), required=True)
    timings_ms = _TIMINGS
    embedding_index = fields.String(required=True)
    embedding_space = fields.String(metadata={"description": "The embedding space read."})
    audit_id = _AUDIT_ID


class IngestedSchema(Open):
    id = fields.String(required=True)
    version = fields.Integer(required=True)
    chunks = fields.Integer(required=True)
    entities = fields.Integer(required=True)
    relations = fields.Integer(required=True)
    unchanged = fields.Boolean(required=True)


class IngestResultSchema(Open):
    documents = fields.List(fields.Nested(IngestedSchema), required=True)
    run_id = fields.String(required=True)


class DocumentSchema(Open):
    id = fields.String(required=True)
    title = fields.String(required=True)
    uri = fields.String(required=True)
    version = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    acl = fields.List(fields.String(), required=True)
    ingested_at = fields.String(required=True, metadata={"format": "date-time"})
    chunks = fields.Integer(required=True)
    entities = fields.Integer(required=True)


class EvidenceSchema(Open):
    chunk_id = fields.String(required=True)
    doc_id = fields.String(required=True)
    char_start = fields.Integer(required=True)
    char_end = fields.Integer(required=True)
    quote = fields.String(required=True)


class NeighbourSchema(Open):
    relation = fields.String(required=True, metadata={"description": "Ontology relation type."})
    predicate = fields.String(required=True, metadata={"description": "The verb as written."})
    direction = fields.String(required=True, validate=validate.OneOf(("out", "in")))
    entity = fields.Dict(required=True, metadata={"description": "{id, name, type}"})
    confidence = fields.Float(required=True)
    evidence = fields.Nested(EvidenceSchema, required=True)


class EntitySchema(Open):
    id = fields.String(required=True)
    name = fields.String(required=True)
    type = fields.String(required=True)
    aliases = fields.List(fields.String(), required=True)
    mentions = fields.Integer(required=True, metadata={
        "description": "Readable chunks that mention it."})
    neighbours = fields.List(fields.Nested(NeighbourSchema), required=True)


class FeedbackSchema(Open):
    id = fields.String(required=True)
    audit_id = fields.String(required=True)
    rating = fields.Integer(required=True)
    at = fields.String(required=True, metadata={"format": "date-time"})


class AuditSchema(Open):
    """The audit record as graph.audit returns it (its fields are that module's)."""

    id = fields.String()


class SpaceSchema(Open):
    id = fields.String(required=True)
    model = fields.String()
    model_id = fields.String(required=True)
    dimension = fields.Integer()
    state = fields.String(required=True)
    previous = fields.String(allow_none=True)
    property = fields.String()
    chunk_index = fields.String()
    entity_index = fields.String()


class VersionsSchema(Open):
    embedding_space = fields.Nested(SpaceSchema, allow_none=True)
    other_spaces = fields.List(fields.Dict())
    spacy_model = fields.String(required=True)
    ontology_version = fields.String(required=True)
    pipeline_version = fields.String(required=True)
    generator = fields.String(required=True)
    prompt_version = fields.String(required=True)


class StatusSchema(Open):
    status = fields.String(required=True)
    indexes = fields.List(fields.String())


def flatten_errors(messages: Any, location: str | None = None) -> list[dict[str, Any]]:
    """marshmallow messages as ``[{in, field, messages}]`` with dotted field paths.

    Without ``location`` the messages are webargs', keyed by location first.
    """
    if location is None:
        if not isinstance(messages, dict):
            return flatten_errors(messages, "body")
        return [e for loc, sub in messages.items() for e in flatten_errors(sub, str(loc))]
    out: list[dict[str, Any]] = []

    def walk(node: Any, path: list[str]) -> None:
        if isinstance(node, dict):
            for key, sub in node.items():
                walk(sub, [*path, str(key)])
            return
        items = node if isinstance(node, list) else [node]
        if all(isinstance(m, str) for m in items):
            field = ".".join(p for p in path if p != "_schema") or None
            out.append({"in": location, "field": field, "messages": [str(m) for m in items]})
        else:
            for i, sub in enumerate(items):
                walk(sub, [*path, str(i)])

    walk(messages, [])
    return out

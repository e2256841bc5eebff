"""Ingestion stage 1: files, folders and uploads to :class:`SourceDocument` values.

Formats by suffix: ``.txt``, ``.md``/``.markdown`` (optional YAML front matter),
``.html``/``.htm`` (visible text), ``.pdf`` (pypdf) and ``.jsonl`` (a document per
line).  A file that cannot be loaded becomes a :class:`LoadFailure` with a one-line
reason; :func:`load_paths` never raises for a bad file, so one broken file does not
stop a folder.  The ``text`` of a document is exactly what the chunker sees and what
every offset points into: newlines become ``\\n``, a leading BOM goes, and nothing
else in the body is rewritten.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import yaml

from graph.model import SourceDocument
from ontology.errors import DocumentRejected, InvalidInputError, PayloadTooLarge

_ACL_RE = re.compile(r"^[A-Za-z0-9_.:-]+$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_ATX_HEADING_RE = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_RULE_RE = re.compile(r"^ {0,3}=+[ \t]*$")
_FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")
_MAX_ID_LEN = 200
_SUPPORTED = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".jsonl"})
_RESERVED_KEYS = frozenset({"id", "title", "uri", "acl", "text"})


@dataclass(frozen=True, slots=True)
class LoadFailure:
    """A file (or one jsonl line) that could not be loaded, and why."""

    source: str
    reason: str


_Loaded = Iterator[SourceDocument | LoadFailure]
_Parsed = list[SourceDocument | LoadFailure]


@dataclass(frozen=True, slots=True)
class _Origin:
    """Where some bytes came from, and the identity they fall back to."""

    source: str  # for messages
    doc_id: str  # used when the content names no id
    stem: str  # default title
    uri: str
    suffix: str  # lower-cased, with the dot


def load_paths(
    paths: Sequence[str | Path],
    *,
    default_acl: Sequence[str] = ("public",),
    max_bytes: int = 10_000_000,
) -> Iterator[SourceDocument | LoadFailure]:
    """Load files and folders (recursively, in sorted order, hidden entries skipped).

    Yields a :class:`SourceDocument` per document and a :class:`LoadFailure` per file
    or jsonl line that cannot be loaded; a missing path, and a document whose id was
    already yielded by this call, are failures too.  Ids come from the content, else
    from the path relative to the folder given (for a single file, its stem).
    Raises :class:`InvalidInputError` only for a bad ``default_acl``.
    """
    acl = _check_default_acl(default_acl)
    seen: dict[str, str] = {}
    for root in paths:
        for item in _load_root(Path(root), acl, max_bytes):
            if isinstance(item, SourceDocument):
                first = seen.setdefault(item.id, item.source)
                if first != item.source:
                    item = LoadFailure(item.source, f"duplicate id {item.id!r} (also in {first})")
            yield item


def load_bytes(
    name: str,
    data: bytes,
    *,
    default_acl: Sequence[str] = ("public",),
    max_bytes: int = 10_000_000,
) -> list[SourceDocument]:
    """Load one uploaded file, all or nothing; the suffix of ``name`` picks the format.

    The default id is ``name`` without its suffix, the default uri ``upload:<name>``.
    Raises :class:`PayloadTooLarge` over ``max_bytes``, and :class:`DocumentRejected`
    with a one-line reason for whatever :func:`load_paths` would report as a failure,
    one bad jsonl line included.
    """
    acl = _check_default_acl(default_acl)
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"{name}: {len(data)} bytes is over the limit of {max_bytes}")
    posix = PurePosixPath(name.replace("\\", "/").lstrip("/"))
    doc_id = str(posix.with_suffix("")) if posix.suffix else str(posix)
    origin = _Origin(name, doc_id, posix.stem, f"upload:{quote(name)}", posix.suffix.lower())
    docs: list[SourceDocument] = []
    for item in _parse(data, origin, acl):
        if isinstance(item, LoadFailure):
            raise DocumentRejected(item.reason, source=item.source)
        if any(doc.id == item.id for doc in docs):
            raise DocumentRejected(f"duplicate id {item.id!r}", source=item.source)
        docs.append(item)
    return docs


def document_from_mapping(
    obj: Mapping[str, Any],
    *,
    source: str,
    default_acl: Sequence[str],
    default_id: str | None = None,
    default_uri: str | None = None,
) -> SourceDocument:
    """Validate one JSON-like document (a jsonl line, an API body).

    Keys: ``text`` (required), ``id``, ``title``, ``uri`` (strings), ``acl`` (a list
    of strings or one comma-separated string); other keys go to ``metadata`` as
    strings.  ``id`` falls back to ``default_id`` (so is required when that is None),
    ``title`` to the first Markdown heading or the id, ``uri`` to ``default_uri`` or
    ``urn:kgrag:document:<id>``.  Raises :class:`DocumentRejected`.
    """
    if not isinstance(obj, Mapping):
        raise DocumentRejected(f"expected a JSON object, got {type(obj).__name__}")
    raw_text = obj.get("text")
    if not isinstance(raw_text, str):
        raise DocumentRejected("'text' is required and must be a string")
    text = normalise_text(raw_text)
    if "\x00" in text:
        raise DocumentRejected("'text' contains NUL characters")
    doc_id = _json_str(obj, "id") or default_id or ""
    uri = _json_str(obj, "uri") or default_uri or f"urn:kgrag:document:{quote(doc_id)}"
    title = _json_str(obj, "title") or first_heading(text) or doc_id
    acl = _check_default_acl(default_acl) if obj.get("acl") is None else _parse_acl(obj["acl"])
    extra = {str(k): v for k, v in obj.items() if k not in _RESERVED_KEYS}
    return _document(doc_id, uri, title, text, acl, source, extra)


def normalise_text(text: str) -> str:
    """Newlines to ``\\n`` and a leading BOM dropped; nothing else changes."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def first_heading(markdown: str) -> str | None:
    """The first ATX (``# Title``) or setext (``Title`` over ``===``) heading outside code."""
    in_fence, previous = False, ""
    for line in markdown.split("\n"):
        if _FENCE_RE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            if match := _ATX_HEADING_RE.match(line):
                return _one_line(match.group(1))
            if previous.strip() and _SETEXT_RULE_RE.match(line):
                return _one_line(previous)
        previous = "" if in_fence else line
    return None


# -- files and folders -----------------------------------------------------------------


def _load_root(root: Path, acl: tuple[str, ...], max_bytes: int) -> _Loaded:
    if root.is_dir():
        for path in _walk(root):
            doc_id = path.relative_to(root).with_suffix("").as_posix()
            yield from _load_file(path, doc_id, acl, max_bytes)
    elif root.is_file():
        yield from _load_file(root, root.stem, acl, max_bytes)
    else:
        yield LoadFailure(str(root), "not a file or folder" if root.exists() else "no such file")


def _walk(root: Path) -> Iterator[Path]:
    """Files under ``root`` in sorted order; hidden ones skipped, symlinked folders not followed."""
    for folder, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        yield from (Path(folder, f) for f in sorted(filenames) if not f.startswith("."))


def _load_file(path: Path, doc_id: str, acl: tuple[str, ...], max_bytes: int) -> _Loaded:
    source, suffix = str(path), path.suffix.lower()
    try:
        if suffix not in _SUPPORTED:  # checked before reading: no point reading a video
            raise DocumentRejected(f"unsupported file type {suffix or '(no suffix)'}")
        try:
            with path.open("rb") as handle:
                data = handle.read(max_bytes + 1)  # never more than the limit, whatever stat says
        except OSError as exc:
            raise DocumentRejected(f"cannot read file: {exc.strerror or exc}") from None
        if len(data) > max_bytes:
            raise DocumentRejected(f"file is over the size limit of {max_bytes} bytes")
        origin = _Origin(source, doc_id, path.stem, path.resolve().as_uri(), suffix)
        yield from _parse(data, origin, acl)
    except DocumentRejected as exc:
        yield LoadFailure(source, exc.detail)


# -- formats ---------------------------------------------------------------------------


def _parse(data: bytes, origin: _Origin, acl: tuple[str, ...]) -> _Parsed:
    """The documents (and jsonl line failures) of one file; a whole-file problem raises."""
    if origin.suffix not in _SUPPORTED:
        raise DocumentRejected(f"unsupported file type {origin.suffix or '(no suffix)'}")
    if origin.suffix == ".pdf":
        return [_from_pdf(data, origin, acl)]
    text = _decode(data)
    if origin.suffix == ".jsonl":
        return _from_jsonl(text, origin, acl)
    if origin.suffix in (".md", ".markdown"):
        return [_from_markdown(text, origin, acl)]
    if origin.suffix in (".html", ".htm"):
        parser = _HtmlText()
        parser.feed(text)
        parser.close()
        title = _one_line("".join(parser.title_parts)) or origin.stem
        return [_document(origin.doc_id, origin.uri, title, parser.text(), acl, origin.source)]
    return [_document(origin.doc_id, origin.uri, origin.stem, text, acl, origin.source)]


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise DocumentRejected("binary content (NUL bytes) in a text format; UTF-16 is not read")
    try:
        return normalise_text(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        raise DocumentRejected(f"not valid UTF-8 (byte 0x{bad} at offset {exc.start})") from None


def _from_markdown(text: str, origin: _Origin, acl: tuple[str, ...]) -> SourceDocument:
    meta, body = _split_front_matter(text)
    doc_id = _yaml_str(meta, "id") or origin.doc_id
    title = _yaml_str(meta, "title") or first_heading(body) or origin.stem
    uri = _yaml_str(meta, "uri") or origin.uri
    doc_acl = acl if meta.get("acl") is None else _parse_acl(meta["acl"])
    extra = {k: v for k, v in meta.items() if k not in _RESERVED_KEYS}
    return _document(doc_id, uri, title, body, doc_acl, origin.source, extra)


def _split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """The YAML between a first line ``---`` and a line ``---`` (or ``...``), and the body."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return {}, text
    end = next((i for i, line in enumerate(lines) if i and line.rstrip() in ("---", "...")), 0)
    if not end:
        raise DocumentRejected("front matter opened with '---' is never closed")
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (front matter line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise DocumentRejected(f"invalid YAML front matter{where}: {problem}") from None
    if not isinstance(meta, dict):
        raise DocumentRejected("front matter must be a YAML mapping")
    return {str(k): v for k, v in meta.items()}, "\n".join(lines[end + 1 :])


class _HtmlText(HTMLParser):
    """Visible text of a page: blocks become line breaks, entities are unescaped."""

    _SKIP = frozenset({"script", "style", "head", "template", "noscript"})
    _LINE = frozenset({"br", "li", "tr", "dt", "dd", "option"})
    _BLOCK = frozenset(
        {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "pre",
         "blockquote", "section", "article", "header", "footer", "nav", "aside", "main",
         "figure", "figcaption", "form", "fieldset", "address", "hr", "details", "summary"}
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self._skip = self._pre = 0
        self._in_title = False
        self._line_start = True  # collapsed text drops its leading space on a new line

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":  # a page that never closes its <head>
            self._skip = 0
        self._in_title = self._in_title or tag == "title"
        self._skip += tag in self._SKIP
        self._boundary(tag, opening=True)

    def handle_endtag(self, tag: str) -> None:
        self._in_title = self._in_title and tag != "title"
        self._skip = max(0, self._skip - (tag in self._SKIP))
        self._boundary(tag, opening=False)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
        elif self._pre and not self._skip:
            self.parts.append(data)  # preformatted: whitespace and indentation are content
            self._line_start = data.endswith("\n")
        elif not self._skip:
            text = re.sub(r"\s+", " ", data)
            text = text.lstrip(" ") if self._line_start else text
            self.parts.append(text)
            self._line_start = self._line_start and not text

    def _boundary(self, tag: str, *, opening: bool) -> None:
        if tag == "pre":
            self._pre = max(0, self._pre + (1 if opening else -1))
        if tag in ("td", "th") and not opening:
            self.parts.append(" ")
        elif tag in self._BLOCK or (tag in self._LINE and (opening or tag == "tr")):
            self.parts.append("\n\n" if tag in self._BLOCK else "\n")
            self._line_start = True

    def text(self) -> str:
        lines = (line.rstrip(" \t") for line in "".join(self.parts).split("\n"))
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def _from_pdf(data: bytes, origin: _Origin, acl: tuple[str, ...]) -> SourceDocument:
    from pypdf import PdfReader  # lazy: only PDF ingestion needs it

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentRejected("encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
        meta_title = reader.metadata.title if reader.metadata else None
    except DocumentRejected:
        raise
    except Exception as exc:  # untrusted input at a vendor boundary: pypdf raises anything
        raise DocumentRejected(f"unreadable PDF: {_one_line(str(exc))[:200]}") from None
    # Extraction leaves stray NULs in some fonts' output; they are not content.
    text = normalise_text("\n\n".join(pages)).replace("\x00", "")
    if not text.strip():
        raise DocumentRejected("no extractable text (a scanned or empty PDF?)")
    title = (meta_title if isinstance(meta_title, str) else "") or origin.stem
    return _document(origin.doc_id, origin.uri, title, text, acl, origin.source)


def _from_jsonl(text: str, origin: _Origin, acl: tuple[str, ...]) -> _Parsed:
    out: _Parsed = []
    # split("\n"), not splitlines(): U+2028 may legally sit raw inside a JSON string.
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        source = f"{origin.source}:{lineno}"
        try:
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DocumentRejected(f"invalid JSON ({exc.msg}, column {exc.colno})") from None
            out.append(
                document_from_mapping(
                    obj, source=source, default_acl=acl,
                    default_id=f"{origin.doc_id}#{lineno}", default_uri=f"{origin.uri}#L{lineno}",
                )
            )  # fmt: skip
        except DocumentRejected as exc:
            out.append(LoadFailure(source, f"line {lineno}: {exc.detail}"))
    if not out:
        raise DocumentRejected("empty document (no text)")
    return out


# -- validation ------------------------------------------------------------------------


def _document(
    doc_id: str,
    uri: str,
    title: str,
    text: str,
    acl: tuple[str, ...],
    source: str,
    extra: Mapping[str, Any] | None = None,
) -> SourceDocument:
    """The one place a SourceDocument is built, so every format gets the same checks."""
    if not text.strip():
        raise DocumentRejected("empty document (no text)")
    if not doc_id:
        raise DocumentRejected("document id is missing or empty")
    if len(doc_id) > _MAX_ID_LEN:
        raise DocumentRejected(f"document id is longer than {_MAX_ID_LEN} characters")
    if _CONTROL_RE.search(doc_id):
        raise DocumentRejected(f"document id {doc_id!r} contains control characters")
    metadata = tuple(sorted((k, _as_string(v)) for k, v in (extra or {}).items()))
    return SourceDocument(doc_id, uri, _one_line(title) or doc_id, text, acl, source, metadata)


def _check_default_acl(acl: Sequence[str]) -> tuple[str, ...]:
    try:
        return _parse_acl(list(acl))
    except DocumentRejected as exc:
        raise InvalidInputError(f"default_acl: {exc.detail}") from None


def _parse_acl(value: Any) -> tuple[str, ...]:
    """A list of group names or one comma-separated string; order kept, duplicates dropped."""
    if isinstance(value, str):
        items: list[Any] = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise DocumentRejected("'acl' must be a list of strings or a comma-separated string")
    for item in items:
        if not isinstance(item, str) or not _ACL_RE.match(item):
            raise DocumentRejected(f"invalid acl entry {item!r} (allowed: A-Z a-z 0-9 _ . : -)")
    if not items:
        raise DocumentRejected("'acl' is empty, so nobody could read the document")
    return tuple(dict.fromkeys(items))


def _json_str(obj: Mapping[str, Any], key: str) -> str | None:
    """A JSON field that must be a string when present (JSON has real types: be strict)."""
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise DocumentRejected(f"'{key}' must be a string, got {type(value).__name__}")
    return (value or "").strip() or None


def _yaml_str(meta: Mapping[str, Any], key: str) -> str | None:
    """A front-matter field; YAML reads ``id: 42`` or a date as non-strings, so take scalars."""
    value = meta.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int | float | date | None):
        raise DocumentRejected(f"front matter '{key}' must be a string")
    return None if value is None else (str(value).strip() or None)


def _as_string(value: Any) -> str:
    if isinstance(value, str | bool | int | float | date) or value is None:
        return str(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _one_line(text: str) -> str:
    return " ".join(text.split())

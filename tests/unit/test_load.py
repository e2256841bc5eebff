"""The load stage: every format, every failure kind, identity, ACLs, front matter."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from graph.ingest.load import (
    LoadFailure,
    document_from_mapping,
    first_heading,
    load_bytes,
    load_paths,
)
from graph.model import SourceDocument
from ontology.errors import DocumentRejected, InvalidInputError, PayloadTooLarge


def make_pdf(pages: list[str]) -> bytes:
    """A minimal valid PDF, one Helvetica text line per input line.

    pypdf has no public API to draw text, so the file is written by hand, with a
    correct cross-reference table.
    """
    count = len(pages)
    font_num = 3 + 2 * count
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(count))
        + b"] /Count %d >>" % count,
    ]
    for i, text in enumerate(pages):
        ops = b" ".join(b"(%s) Tj 0 -14 Td" % line.encode("latin-1") for line in text.split("\n"))
        stream = b"BT /F1 12 Tf 72 720 Td " + ops + b" ET" if text else b""
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (4 + 2 * i, font_num)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for num, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (num, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_bytes(content.encode("utf-8"))
    else:
        path.write_bytes(content)
    return path


def load_one(path: Path, **kwargs: object) -> SourceDocument:
    items = list(load_paths([path], **kwargs))  # type: ignore[arg-type]
    assert len(items) == 1, items
    assert isinstance(items[0], SourceDocument), items[0]
    return items[0]


def fail_one(path: Path, **kwargs: object) -> LoadFailure:
    items = list(load_paths([path], **kwargs))  # type: ignore[arg-type]
    assert len(items) == 1, items
    assert isinstance(items[0], LoadFailure), items[0]
    return items[0]


# -- plain text ------------------------------------------------------------------------


def test_txt_defaults_from_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "notes.txt", "Acme Bank uses PolicyForge.\n")
    doc = load_one(path)
    assert doc.id == "notes"
    assert doc.title == "notes"
    assert doc.text == "Acme Bank uses PolicyForge.\n"
    assert doc.uri == path.resolve().as_uri()
    assert doc.uri.startswith("file:///")
    assert doc.acl == ("public",)
    assert doc.source == str(path)
    assert doc.metadata == ()


def test_newlines_normalised_and_bom_accepted(tmp_path: Path) -> None:
    path = write(tmp_path / "crlf.txt", b"\xef\xbb\xbfline one\r\nline two\rline three\r\n")
    assert load_one(path).text == "line one\nline two\nline three\n"


def test_default_acl_applies_and_is_validated(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "text")
    assert load_one(path, default_acl=["risk", "audit"]).acl == ("risk", "audit")
    with pytest.raises(InvalidInputError, match="default_acl"):
        list(load_paths([path], default_acl=["bad group"]))


# -- markdown --------------------------------------------------------------------------

FRONT = """---
id: POL-7
title: Vendor risk policy
uri: https://intranet.example/pol-7
acl: [risk, audit]
version: 3
owner: Jane Doe
tags: [tprm, dora]
---
# Heading that is not the title

Body **kept** as is.
"""


def test_markdown_front_matter(tmp_path: Path) -> None:
    doc = load_one(write(tmp_path / "pol.md", FRONT))
    assert doc.id == "POL-7"
    assert doc.title == "Vendor risk policy"
    assert doc.uri == "https://intranet.example/pol-7"
    assert doc.acl == ("risk", "audit")
    assert doc.text == "# Heading that is not the title\n\nBody **kept** as is.\n"
    assert dict(doc.metadata) == {"version": "3", "owner": "Jane Doe", "tags": '["tprm", "dora"]'}


def test_markdown_acl_as_comma_string_and_version_not_identity(tmp_path: Path) -> None:
    head = "---\nacl: risk, audit ,risk\nversion: "
    one = load_one(write(tmp_path / "a" / "p.md", head + "1\n---\nx"))
    two = load_one(write(tmp_path / "b" / "p.md", head + "2\n---\nx"))
    assert one.acl == ("risk", "audit")
    assert one.id == two.id == "p"
    assert one.sha256 == two.sha256


def test_markdown_title_from_first_heading_else_stem(tmp_path: Path) -> None:
    text = "Intro line.\n\n```\n# not a heading\n```\n\n## Vendor  Risk ##\n\n# Later\n"
    doc = load_one(write(tmp_path / "vr.markdown", text))
    assert doc.title == "Vendor Risk"
    assert doc.text == text
    assert load_one(write(tmp_path / "plain.md", "no heading here\n")).title == "plain"
    assert first_heading("Setext Title\n=====\n\nbody") == "Setext Title"


def test_markdown_without_front_matter_is_unchanged(tmp_path: Path) -> None:
    text = "# Title\n\n---\n\nAfter a rule.\n"
    assert load_one(write(tmp_path / "r.md", text)).text == text


def test_front_matter_id_with_numbers_and_empty_front_matter(tmp_path: Path) -> None:
    assert load_one(write(tmp_path / "n.md", "---\nid: 42\n---\nbody")).id == "42"
    doc = load_one(write(tmp_path / "e.md", "---\n---\nbody"))
    assert (doc.id, doc.text) == ("e", "body")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("---\ntitle: x\nbody without a closing fence", "never closed"),
        ("---\ntitle: [unclosed\n---\nbody", "invalid YAML front matter"),
        ("---\n- a\n- b\n---\nbody", "must be a YAML mapping"),
        ("---\nacl: [risk, 'bad group']\n---\nbody", "invalid acl entry 'bad group'"),
        ("---\nacl: []\n---\nbody", "'acl' is empty"),
        ("---\nacl: {a: 1}\n---\nbody", "'acl' must be a list"),
        ("---\nid: [1, 2]\n---\nbody", "front matter 'id' must be a string"),
        ('---\nid: "a\\tb"\n---\nbody', "control characters"),
        ("---\nid: " + "x" * 201 + "\n---\nbody", "longer than 200"),
        ("---\ntitle: only front matter\n---\n  \n", "empty document"),
    ],
)
def test_markdown_failures(tmp_path: Path, content: str, reason: str) -> None:
    failure = fail_one(write(tmp_path / "bad.md", content))
    assert reason in failure.reason
    assert failure.source == str(tmp_path / "bad.md")
    assert "\n" not in failure.reason


# -- html ------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html><head><title>Incident  INC-2350</title>
<style>body { color: red }</style><script>var x = "<p>no</p>";</script></head>
<body><h1>Outage &amp; recovery</h1><p>Watchfloor   lost
power.</p><ul><li>KX5 failed</li><li>R&eacute;sum&eacute; &lt;ok&gt;</li></ul>
<script>alert(1)</script><p>Fixed<br>next day.</p></body></html>"""


def test_html_visible_text_with_block_boundaries(tmp_path: Path) -> None:
    doc = load_one(write(tmp_path / "inc.html", PAGE))
    assert doc.title == "Incident INC-2350"
    assert doc.text == (
        "Outage & recovery\n\nWatchfloor lost power.\n\nKX5 failed\nRésumé <ok>\n\nFixed\nnext day."
    )


def test_html_title_falls_back_to_stem_and_head_may_stay_open(tmp_path: Path) -> None:
    doc = load_one(write(tmp_path / "page.htm", "<head><meta charset=utf-8><body>Hi</body>"))
    assert (doc.title, doc.text) == ("page", "Hi")


def test_html_without_text_fails(tmp_path: Path) -> None:
    failure = fail_one(write(tmp_path / "x.html", "<html><head><title>T</title></head></html>"))
    assert failure.reason == "empty document (no text)"


def test_html_pre_keeps_indentation_and_cells_are_spaced() -> None:
    page = b"<p> x <b>y</b></p>\n <pre>def f():\n    return 1\n</pre><table><tr><td> a</td><td>b"
    (doc,) = load_bytes("a.html", page + b"</td></tr><tr><td>c</td></tr></table>")
    assert doc.text == "x y\n\ndef f():\n    return 1\n\na b\n\nc"


# -- pdf -------------------------------------------------------------------------------


def test_hand_made_pdf_round_trips_through_pypdf() -> None:
    reader = PdfReader(io.BytesIO(make_pdf(["Hello world", ""])))
    assert len(reader.pages) == 2
    assert "Hello world" in reader.pages[0].extract_text()


def test_pdf_pages_joined_by_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "report.pdf", make_pdf(["Acme Bank report\nSecond line", "Page two"]))
    doc = load_one(path)
    assert doc.id == "report"
    assert doc.title == "report"
    pages = doc.text.split("\n\n")
    assert "Acme Bank report" in pages[0] and "Second line" in pages[0]
    assert "Page two" in pages[-1]


def test_pdf_without_text_fails(tmp_path: Path) -> None:
    failure = fail_one(write(tmp_path / "scan.pdf", make_pdf([""])))
    assert failure.reason.startswith("no extractable text")


def test_broken_pdf_fails(tmp_path: Path) -> None:
    failure = fail_one(write(tmp_path / "broken.pdf", b"%PDF-1.4\nnot really a pdf"))
    assert failure.reason.startswith("unreadable PDF")
    assert "\n" not in failure.reason


# -- jsonl -----------------------------------------------------------------------------

JSONL = "\n".join(
    [
        '{"id": "d1", "title": "One", "text": "first", "uri": "https://x/1", "acl": ["risk"]}',
        '{"text": "# Derived\\nsecond", "team": "ops"}',
        "",
        "{not json",
        '["a list"]',
        '{"id": "d6", "text": 7}',
        '{"id": 6, "text": "t"}',
        '{"id": "d8", "text": "eighth", "acl": "risk,audit"}',
    ]
)


def test_jsonl_loads_good_lines_and_names_bad_ones(tmp_path: Path) -> None:
    path = write(tmp_path / "batch.jsonl", JSONL + "\n")
    items = list(load_paths([path]))
    docs = [i for i in items if isinstance(i, SourceDocument)]
    failures = [i for i in items if isinstance(i, LoadFailure)]
    assert [d.id for d in docs] == ["d1", "batch#2", "d8"]
    one, two, eight = docs
    assert (one.title, one.uri, one.acl, one.text) == ("One", "https://x/1", ("risk",), "first")
    assert two.uri == path.resolve().as_uri() + "#L2"
    assert two.title == "Derived"
    assert two.metadata == (("team", "ops"),)
    assert two.acl == ("public",)
    assert eight.acl == ("risk", "audit")
    assert [f.source for f in failures] == [f"{path}:{n}" for n in (4, 5, 6, 7)]
    assert failures[0].reason.startswith("line 4: invalid JSON")
    assert failures[1].reason == "line 5: expected a JSON object, got list"
    assert failures[2].reason == "line 6: 'text' is required and must be a string"
    assert failures[3].reason == "line 7: 'id' must be a string, got int"


def test_jsonl_with_only_blank_lines_fails(tmp_path: Path) -> None:
    assert fail_one(write(tmp_path / "e.jsonl", "\n \n")).reason == "empty document (no text)"


# -- failures common to every format ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("movie.xyz", b"data", "unsupported file type .xyz"),
        ("Makefile", b"all:", "unsupported file type (no suffix)"),
        ("bin.txt", b"abc\x00def", "binary content (NUL bytes)"),
        ("utf16.md", "hello".encode("utf-16"), "binary content (NUL bytes)"),
        ("latin1.txt", "café".encode("latin-1"), "not valid UTF-8 (byte 0xe9 at offset 3)"),
        ("empty.txt", b"", "empty document (no text)"),
        ("blank.md", b" \n\t\r\n", "empty document (no text)"),
        ("big.txt", b"x" * 101, "over the size limit of 100 bytes"),
    ],
)
def test_bad_files(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    failure = fail_one(write(tmp_path / name, content), max_bytes=100)
    assert reason in failure.reason
    assert failure.source == str(tmp_path / name)


def test_missing_path_is_a_failure(tmp_path: Path) -> None:
    failure = fail_one(tmp_path / "nowhere.md")
    assert failure == LoadFailure(str(tmp_path / "nowhere.md"), "no such file")


def test_load_failure_is_frozen() -> None:
    failure = LoadFailure("a", "b")
    with pytest.raises(dataclasses.FrozenInstanceError):
        failure.reason = "c"  # type: ignore[misc]


# -- folders ---------------------------------------------------------------------------


def test_folder_walk_mixes_good_and_bad_files(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    write(root / "policies" / "vendor-risk.md", "# Vendor risk\n\nTPRM-POL-03 applies.")
    write(root / "policies" / "broken.md", "---\nid: [\n---\nx")
    write(root / "a.txt", "first file")
    write(root / "z" / "deep" / "page.html", "<p>deep</p>")
    write(root / "image.png", b"\x89PNG\x00")
    write(root / "bad.txt", b"\xff\xfe")
    write(root / ".hidden.txt", "skipped")
    write(root / ".git" / "config.txt", "skipped")
    items = list(load_paths([root]))
    summary = [
        (type(i).__name__, i.id if isinstance(i, SourceDocument) else i.source) for i in items
    ]
    assert summary == [
        ("SourceDocument", "a"),
        ("LoadFailure", str(root / "bad.txt")),
        ("LoadFailure", str(root / "image.png")),
        ("LoadFailure", str(root / "policies" / "broken.md")),
        ("SourceDocument", "policies/vendor-risk"),
        ("SourceDocument", "z/deep/page"),
    ]
    vendor = items[4]
    assert isinstance(vendor, SourceDocument)
    assert vendor.title == "Vendor risk"
    assert vendor.uri == (root / "policies" / "vendor-risk.md").resolve().as_uri()


def test_several_roots_and_duplicate_ids(tmp_path: Path) -> None:
    write(tmp_path / "one" / "doc.md", "first")
    write(tmp_path / "two" / "doc.txt", "second")
    single = write(tmp_path / "solo.txt", "third")
    items = list(load_paths([tmp_path / "one", str(tmp_path / "two"), single]))
    assert isinstance(items[0], SourceDocument) and items[0].id == "doc"
    assert isinstance(items[1], LoadFailure)
    assert items[1].reason == f"duplicate id 'doc' (also in {tmp_path / 'one' / 'doc.md'})"
    assert isinstance(items[2], SourceDocument) and items[2].id == "solo"


def test_derived_id_too_long_is_a_failure(tmp_path: Path) -> None:
    failure = fail_one(write(tmp_path / ("n" * 201 + ".txt"), "text"))
    assert "longer than 200" in failure.reason


# -- uploads ---------------------------------------------------------------------------


def test_load_bytes_formats_and_identity() -> None:
    (doc,) = load_bytes("policies/vendor-risk.md", b"---\nacl: risk\n---\n# Title\nbody")
    assert (doc.id, doc.title, doc.acl, doc.text) == (
        "policies/vendor-risk",
        "Title",
        ("risk",),
        "# Title\nbody",
    )
    assert doc.uri == "upload:policies/vendor-risk.md"
    (pdf,) = load_bytes("r.pdf", make_pdf(["Uploaded PDF"]))
    assert "Uploaded PDF" in pdf.text
    docs = load_bytes("b.jsonl", b'{"id": "x", "text": "a"}\n{"text": "b"}\n')
    assert [d.id for d in docs] == ["x", "b#2"]


def test_load_bytes_rejects() -> None:
    with pytest.raises(PayloadTooLarge):
        load_bytes("a.txt", b"x" * 11, max_bytes=10)
    with pytest.raises(DocumentRejected, match=r"^line 2: invalid JSON"):
        load_bytes("b.jsonl", b'{"text": "ok"}\n{oops\n')
    with pytest.raises(DocumentRejected, match="duplicate id 'x'"):
        load_bytes("b.jsonl", b'{"id": "x", "text": "a"}\n{"id": "x", "text": "b"}\n')
    with pytest.raises(DocumentRejected, match=r"unsupported file type \.docx"):
        load_bytes("a.docx", b"PK")
    with pytest.raises(DocumentRejected, match="not valid UTF-8"):
        load_bytes("a.txt", b"\xc3\x28")
    with pytest.raises(DocumentRejected, match="no extractable text"):
        load_bytes("a.pdf", make_pdf([""]))


# -- JSON bodies -----------------------------------------------------------------------


def test_document_from_mapping() -> None:
    doc = document_from_mapping(
        {"id": "api-1", "text": "Body\r\n", "acl": ["risk"], "version": 2},
        source="api",
        default_acl=["public"],
    )
    assert (doc.id, doc.text, doc.acl, doc.title, doc.source) == (
        "api-1",
        "Body\n",
        ("risk",),
        "api-1",
        "api",
    )
    assert doc.uri == "urn:kgrag:document:api-1"
    assert doc.metadata == (("version", "2"),)


@pytest.mark.parametrize(
    ("obj", "reason"),
    [
        ({"text": "no id"}, "document id is missing"),
        ({"id": "a"}, "'text' is required"),
        ({"id": "a", "text": "   "}, "empty document"),
        ({"id": "a", "text": "x\x00y"}, "NUL"),
        ({"id": "a", "text": "x", "title": 3}, "'title' must be a string"),
        ({"id": "a", "text": "x", "acl": 5}, "'acl' must be a list"),
        ({"id": "a", "text": "x", "acl": [1]}, "invalid acl entry 1"),
        ({"id": "a\nb", "text": "x"}, "control characters"),
    ],
)
def test_document_from_mapping_rejects(obj: dict[str, object], reason: str) -> None:
    with pytest.raises(DocumentRejected, match=reason):
        document_from_mapping(obj, source="api", default_acl=["public"])

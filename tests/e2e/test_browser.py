"""A reviewer's path through Neo4j Browser: connect, set the audit id, draw the provenance.

Follows ``docs/browser-guide.md`` in a real headless Chromium against the test
Neo4j: the connect form, ``:param audit_id => "q:..."`` typed into the editor,
then ``cypher/browser_answer_provenance.cypher`` pasted verbatim (comment lines
included) and run. The Graph view must draw exactly the nodes the query returns,
label by label, with the Query, its Answer and the Documents behind it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from graph.audit import record_audit
from graph.ingest.load import load_paths
from graph.ingest.pipeline import Ports, ingest
from graph.retrieve.types import RetrieveParams
from service.qa import ask
from tests.conftest import FIXTURES, ROOT, Neo4jServer
from tests.helpers import cypher, quoting

pytestmark = [pytest.mark.neo4j, pytest.mark.models, pytest.mark.browser]

QUESTION = "Which directive applies to the operator of the Lighthouse platform?"
ANSWER_DOCS = ("ops-1", "reg-1")  # Lighthouse operated by Harbor Trust; Harbor under Solvency II
PROVENANCE = ROOT / "cypher" / "browser_answer_provenance.cypher"
SCREENSHOT = ROOT / "docs" / "screenshots" / "browser-provenance.png"
WAIT_S = 45  # per step; a slow shared 2-core machine takes ~10 s for the first page
CSS = "css selector"  # the value of selenium's By.CSS_SELECTOR (imported lazily)
LABEL = "property-details-overview-node-label-"
RELTYPE = "property-details-overview-relationship-type-"


def css(testid: str) -> str:
    """The CSS selector of Neo4j Browser's ``data-testid`` attribute."""
    return f'[data-testid="{testid}"]'


@dataclass(frozen=True, slots=True)
class Recorded:
    audit_id: str
    titles: dict[str, str]  # doc id -> title, of every document the record reaches


@pytest.fixture
def recorded(graph_db: Any) -> Recorded:
    """Ingest the fixture corpus, answer the Lighthouse question with citations, audit it.

    The offline extractive generator abstains on this multi-hop question, so a
    scripted generator quotes the first sentence of each answering chunk (as in
    ``tests/integration/test_audit.py``); the record then has CITES edges too.
    """
    svc = graph_db
    report = ingest(load_paths([FIXTURES / "corpus"]),
                    Ports(svc.store, svc.extractor.get(), svc.embedder.get(), svc.ontology))
    assert report.failed == []
    params = RetrieveParams(groups=("public",))
    result = ask(QUESTION, quoting(svc, QUESTION, params, ANSWER_DOCS), params)
    assert result.answer.citations, "the scripted answer should cite its sources"
    answer = result.as_dict()
    versions = {"embedding_model": svc.embedder.get().model_id,
                "embedding_index": result.retrieval.index,
                "spacy_model": svc.extractor.get().model_id,
                "ontology_version": svc.ontology.version}
    audit_id = record_audit(svc.store, question=QUESTION, principal="reviewer@example.com",
                            groups=("public",), params={"groups": ["public"]},
                            retrieval=result.retrieval.as_dict(), answer=answer,
                            versions=versions)
    rows = cypher(svc, "MATCH (d:Document) WHERE d.id IN $ids RETURN d.id AS id, d.title AS t",
                   ids=sorted({c.doc_id for c in result.retrieval.chunks}))
    return Recorded(audit_id, {r["id"]: r["t"] for r in rows})


def _expected_graph(svc: Any, audit_id: str) -> tuple[int, dict[str, int]]:
    """Distinct nodes, and nodes per label, that the provenance query returns over Bolt."""
    records, _, _ = svc.store._driver.execute_query(PROVENANCE.read_text(), audit_id=audit_id)
    nodes = {n.element_id: n for r in records for n in r["p"].nodes}
    counts: dict[str, int] = {}
    for node in nodes.values():
        for label in node.labels:
            counts[label] = counts.get(label, 0) + 1
    return len(nodes), counts


def test_reviewer_sees_the_provenance_graph_in_neo4j_browser(
        chrome: Any, neo4j_server: Neo4jServer, recorded: Recorded, graph_db: Any,
        tmp_path: Path) -> None:
    # ``chrome`` first: a missing browser fails before a minute of ingestion.
    if not neo4j_server.http_url:
        pytest.fail(f"this Neo4j ({neo4j_server.origin}) has no known HTTP URL to serve "
                    "Neo4j Browser from; use the local server (scripts/neo4j-local)")
    n_nodes, expected = _expected_graph(graph_db, recorded.audit_id)
    assert {"Query", "Answer", "Document"} <= set(expected)
    try:
        _connect(chrome, neo4j_server)
        param = f':param audit_id => "{recorded.audit_id}"'
        _type_into_editor(chrome, param)
        frame = _result_frame(chrome, param, css("rawParamData"))
        assert recorded.audit_id in frame.find_element(CSS, css("rawParamData")).text
        query = PROVENANCE.read_text()
        _paste_into_editor(chrome, query, origin=neo4j_server.http_url)
        frame = _result_frame(chrome, query, css(f"{LABEL}Document"))
        drawn = _drawn_labels(frame)
        assert drawn == expected, "the Graph view's label counts differ from the query's"
        assert {_testid(e).removeprefix(RELTYPE) for e in frame.find_elements(
            CSS, f'[data-testid^="{RELTYPE}"]')} >= {
            "ANSWERED_BY", "RETRIEVED", "HAS_CHUNK", "CITES", "HAS_PATH", "HAS_STEP"}
        nodes = _settled_nodes(frame)
        assert len(nodes) == n_nodes, "the Graph view draws another number of nodes"
        captions = _captions_of(frame, "Document")
        assert len(captions) == expected["Document"], captions
        for doc_id, title in recorded.titles.items():
            assert any(_abbreviates(c, title) for c in captions), (
                f"no Document node is captioned with {doc_id}'s title {title!r}: {captions}")
        _fullscreen_and_fit(frame)
    except Exception as exc:
        shot = tmp_path / "browser-provenance-failure.png"
        chrome.save_screenshot(str(shot))
        (tmp_path / "page.html").write_text(chrome.page_source)
        raise AssertionError(f"{type(exc).__name__}: {exc}\nscreenshot: {shot}\n"
                             f"page source: {tmp_path / 'page.html'}") from exc
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    chrome.save_screenshot(str(SCREENSHOT))


def _testid(element: Any) -> str:
    return str(element.get_attribute("data-testid") or "")


def _wait(driver: Any, what: str, condition: Callable[[Any], Any]) -> Any:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_S, poll_frequency=0.25, ignored_exceptions=(
        NoSuchElementException, StaleElementReferenceException)).until(
        condition, f"waited {WAIT_S} s for {what}")


def _connect(driver: Any, server: Neo4jServer) -> None:
    """Fill Browser's connect form (URL, user, password) and wait until connected."""
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select

    bolt = urlsplit(server.uri)
    driver.get(f"{server.http_url.rstrip('/')}/browser/")
    _wait(driver, "the connect form", ec.element_to_be_clickable((CSS, css("connect"))))
    scheme = "neo4j://" if bolt.scheme.startswith("neo4j") else "bolt://"

    def choose_scheme(d: Any) -> bool:
        # The "Database access not available" banner can slide in and push the form
        # under it while we click: scroll the selector into view and retry.
        from selenium.common.exceptions import ElementNotInteractableException

        select = d.find_element(CSS, css("bolt-scheme-select"))
        d.execute_script("arguments[0].scrollIntoView({block: 'center'});", select)
        try:
            Select(select).select_by_visible_text(scheme)
        except ElementNotInteractableException:
            return False
        return bool(Select(select).first_selected_option.text == scheme)

    _wait(driver, "the connection scheme selector", choose_scheme)
    for field, value in (("boltaddress", bolt.netloc), ("username", server.user),
                         ("password", server.password)):
        box = driver.find_element(CSS, css(field))
        box.send_keys(Keys.CONTROL, "a")  # React ignores clear(); select and overtype
        box.send_keys(value)
    driver.find_element(CSS, css("connect")).click()
    _wait(driver, "the connection", ec.text_to_be_present_in_element(
        (CSS, css("stream")), "You are connected"))


def _type_into_editor(driver: Any, command: str) -> None:
    """Type ``command`` key by key into the editor and press its Run button."""
    driver.find_element(CSS, f'{css("activeEditor")} textarea').send_keys(command)
    driver.find_element(CSS, css("editor-Run")).click()


def _paste_into_editor(driver: Any, text: str, *, origin: str) -> None:
    """Paste ``text`` (several lines) into the editor with Ctrl+V and press Run.

    Typing a multi-line query would fight the editor's auto-closing brackets and
    auto-indent; a reviewer pastes the file, and so does this.
    """
    from selenium.webdriver.common.keys import Keys

    driver.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": origin, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    done = driver.execute_async_script(
        "navigator.clipboard.writeText(arguments[0]).then(() => arguments[1]('ok'),"
        " e => arguments[1](String(e)))", text)
    assert done == "ok", f"could not write the clipboard: {done}"
    editor = driver.find_element(CSS, f'{css("activeEditor")} textarea')
    editor.send_keys(Keys.CONTROL, "v")
    _wait(driver, "the pasted query in the editor", lambda d: "RETURN p" in d.find_element(
        CSS, css("activeEditor")).text)
    driver.find_element(CSS, css("editor-Run")).click()


def _result_frame(driver: Any, command: str, done: str) -> Any:
    """The newest result frame, once it ran ``command`` and shows ``done``.

    Frames stack newest first. An error frame fails at once with Browser's message.
    """
    want = " ".join(command.split())[:40]

    def ready(d: Any) -> Any:
        frame = d.find_element(CSS, f'{css("stream")} {css("frame")}')
        label = " ".join(frame.find_element(CSS, css("frameCommand")).text.split())
        if not label.startswith(want):
            return False
        contents = frame.find_element(CSS, css("frameContents")).text
        if contents.startswith("ERROR"):
            raise AssertionError(f"Browser reported for {want!r}: {contents}")
        return frame if frame.find_elements(CSS, done) else False

    return _wait(driver, f"the result of {want!r}", ready)


def _drawn_labels(frame: Any) -> dict[str, int]:
    """Label -> node count, as the Graph view's overview panel lists them."""
    counts = {}
    for item in frame.find_elements(CSS, f'[data-testid^="{LABEL}"]'):
        label = _testid(item).removeprefix(LABEL)
        if label != "*":
            counts[label] = int(item.text.rsplit("(", 1)[1].rstrip(")"))
    return counts


def _captions_of(frame: Any, label: str) -> list[str]:
    """The captions of the drawn nodes of ``label``, told apart by the label's colour.

    The overview chip of a label has the colour its nodes are filled with; a
    caption wraps over several ``<text>`` lines, which are joined here.
    """
    chip = frame.find_element(CSS, css(f"{LABEL}{label}"))
    rgb = tuple(int(x) for x in re.findall(r"\d+", chip.value_of_css_property(
        "background-color"))[:3])
    captions = []
    for node in frame.find_elements(CSS, 'g.node[aria-label^="graph-node"]'):
        fill = str(node.find_element(CSS, "circle.b-outline").get_attribute("fill"))
        if tuple(int(fill.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)) == rgb:
            lines = node.find_elements(CSS, "text.caption")
            captions.append(" ".join(str(t.get_attribute("textContent")) for t in lines))
    return [" ".join(c.split()) for c in captions]


def _abbreviates(caption: str, title: str) -> bool:
    """Whether ``caption`` is ``title`` as Browser fits it into a node.

    Browser wraps a caption over up to three lines and cuts it with "…", and may
    drop a word on the way ("External audit arrangements" is drawn "External
    ar…"): each drawn word must begin a word of the title, in order.
    """
    words, at = title.split(), 0
    for token in caption.replace("…", " ").split():
        while at < len(words) and not words[at].startswith(token):
            at += 1
        if at == len(words):
            return False
        at += 1
    return bool(caption.strip())


def _fullscreen_and_fit(frame: Any) -> None:
    """Show the result frame over the whole window, zoomed to fit, for the screenshot."""
    frame.find_element(CSS, 'button[title="Fullscreen"]').click()
    frame.find_element(CSS, 'button[aria-label="zoom-to-fit"]').click()
    _settled_nodes(frame)


def _settled_nodes(frame: Any, quiet_s: float = 1.0, limit_s: float = 20.0) -> list[Any]:
    """The drawn nodes, once the force layout has stopped moving them (or ``limit_s``)."""
    deadline, last, since = time.monotonic() + limit_s, None, time.monotonic()
    while time.monotonic() < deadline:
        nodes = frame.find_elements(CSS, 'g.node[aria-label^="graph-node"]')
        now = [n.get_attribute("transform") for n in nodes]
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return list(nodes)
        time.sleep(0.25)
    return list(frame.find_elements(CSS, 'g.node[aria-label^="graph-node"]'))

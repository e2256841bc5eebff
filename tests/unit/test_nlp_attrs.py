"""The array matcher gives spaCy's attribute ruler the same matches, so tokens get
the same POS, morphology and lemmas; rulers it cannot evaluate keep spaCy's matcher."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.nlp_attrs import ArrayMatcher, speed_up_attribute_ruler

spacy = pytest.importorskip("spacy")

# Contractions, dialect spellings, expletive "there", auxiliaries, runs of spaces:
# the texts en_core_web_sm's exception patterns are about.
TRICKY = [
    "I'm gonna go, y'all. There is a cat, and there were two. Let's see what's goin' on.",
    "Somethin' or nothin'? C'mon!  I'd do it, but it's ol' news; gotta get 'em, 'nuff said.",
    "Did he have it?  \n\n She got it and he gets it. The thing that I saw: this one, those two.",
    "If you want it, ask them; whether or not they do, we don't. It was given to me by her.",
    "NorthWind Mutual Insurance (NMI) is subject to DORA. Pell & Rowe audits NMI's vendors.",
]


def _attrs(doc: object) -> list[tuple[str, ...]]:
    return [(t.text, t.tag_, t.pos_, str(t.morph), t.lemma_, t.dep_) for t in doc]  # type: ignore[attr-defined]


@pytest.mark.models
def test_same_annotations_as_spacys_matcher_on_the_real_model() -> None:
    from graph.nlp import _load

    stock, fast = _load("en_core_web_sm"), _load("en_core_web_sm")
    assert speed_up_attribute_ruler(fast)
    corpus = Path(__file__).resolve().parents[2] / "service" / "demo" / "corpus"
    texts = TRICKY + [p.read_text(encoding="utf-8") for p in sorted(corpus.rglob("*.md"))]
    tokens = 0
    for a, b in zip(stock.pipe(texts), fast.pipe(texts), strict=True):
        assert _attrs(a) == _attrs(b)
        tokens += len(a)
    assert tokens > 500
    ruler = stock.get_pipe("attribute_ruler")
    for doc in stock.pipe(TRICKY, disable=["attribute_ruler", "lemmatizer"]):
        assert ArrayMatcher(ruler).match(doc) == ruler.match(doc)


def _ruler(patterns: list[dict[str, object]]) -> object:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add_patterns(patterns)
    return nlp


def test_matches_in_spacys_order_for_each_kind_of_test() -> None:
    nlp = _ruler([
        {"patterns": [[{"LOWER": "the"}]], "attrs": {"POS": "DET"}},
        {"patterns": [[{"LOWER": {"IN": ["cat", "dog"]}}, {"IS_SPACE": False}]],
         "attrs": {"POS": "NOUN"}},
        {"patterns": [[{"ORTH": {"NOT_IN": ["the", "."]}, "IS_SPACE": False}]],
         "attrs": {"MORPH": "Foo=Bar"}},
        {"patterns": [[{"LOWER": {"REGEX": "^d.g$"}}], [{"TEXT": "Cat"}]],
         "attrs": {"LEMMA": "pet"}},
        {"patterns": [[{"LOWER": "the"}]], "attrs": {"POS": "PRON"}},  # later wins
    ])
    ruler = nlp.get_pipe("attribute_ruler")
    doc = nlp.make_doc("The Cat saw the dog .  The dig")
    assert ArrayMatcher(ruler).match(doc) == ruler.match(doc)
    assert speed_up_attribute_ruler(nlp)
    out = nlp("The Cat saw the dog .  The dig")
    assert [t.pos_ for t in out][:5] == ["PRON", "NOUN", "", "PRON", "NOUN"]
    assert [t.lemma_ for t in out][:5] == ["", "pet", "", "", "pet"]
    assert out[-1].lemma_ == "pet" and str(out[2].morph) == "Foo=Bar"


@pytest.mark.parametrize("pattern", [
    [{"LOWER": "a", "OP": "+"}],                 # operators
    [{"POS": "NOUN"}],                           # an attribute it does not read
    [{"LENGTH": {">=": 3}}],                     # a comparison
    [{"LOWER": {"FUZZY": "colour"}}],            # another predicate
])
def test_a_ruler_it_cannot_evaluate_keeps_spacys_matcher(pattern: list[dict[str, object]]) -> None:
    nlp = _ruler([{"patterns": [[{"LOWER": "b"}]], "attrs": {"POS": "X"}},
                  {"patterns": [pattern], "attrs": {"POS": "NOUN"}}])
    ruler = nlp.get_pipe("attribute_ruler")
    assert not speed_up_attribute_ruler(nlp)
    assert "match" not in vars(ruler)


def test_a_pipeline_without_an_attribute_ruler_is_left_alone() -> None:
    assert not speed_up_attribute_ruler(spacy.blank("en"))

"""Tests for :mod:`uppks_qual.autocode` (the pure ``autocode_text`` function).

Most cases use a tiny hand-made codebook (``capital`` with the lemma cue *modal*, positive
*bertambah*, negative *macet*; see ``conftest_project.tiny_codebook``) so the expected valence
of each sentence can be worked out by hand from the rules in the module docstring; the real
``codebook.yaml`` and corpus check the invariants at scale.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest_project import make_code, real_codebook, real_corpus, tiny_codebook
from hypothesis import given, settings
from hypothesis import strategies as st

from uppks_qual.autocode import AUTOCODE_COLUMNS, UNITS, autocode_segments, autocode_text
from uppks_qual.corpus import parse_document, segment_document
from uppks_qual.errors import ParameterError
from uppks_qual.records import VALENCES, Codebook, Segment

REQUIRED = ("start", "end", "code_id", "factor", "valence", "confidence", "text")
MIXED = ("I: Modal kami bertambah. Ketua rajin ke rapat.\n\n"
         "Pinjaman lancar, modal tidak macet.\n"
         "P: Lalu?\n"
         "I: Rapat batal, tapi modal cukup. 🙂 Permodalan kelompok tidak macet lagi.")


def rows(frame: pd.DataFrame, *cols: str) -> list[tuple]:
    return list(frame[list(cols)].itertuples(index=False, name=None))


def top_level(codebook: Codebook, code_id: str) -> str:
    while codebook[code_id].parent:
        code_id = codebook[code_id].parent
    return code_id


def inside(inner: pd.DataFrame, outer: pd.DataFrame) -> bool:
    """Every span of ``inner`` lies inside some span of ``outer``."""
    spans = rows(outer, "start", "end")
    return all(any(s <= a and b <= e for s, e in spans) for a, b in rows(inner, "start", "end"))


def check_frame(frame: pd.DataFrame, text: str, codebook: Codebook) -> None:
    assert set(REQUIRED) <= set(frame.columns)
    assert str(frame["start"].dtype) == "int64" and str(frame["end"].dtype) == "int64"
    for r in frame.itertuples():
        assert 0 <= r.start < r.end <= len(text)
        assert r.text == text[r.start : r.end]
        assert r.factor == top_level(codebook, r.code_id) == codebook[r.code_id].factor
        assert r.valence in VALENCES
        assert 0 < r.confidence <= 1


# --------------------------------------------------------------------------- frame shape
def test_columns_and_dtypes() -> None:
    frame = autocode_text(MIXED, tiny_codebook())
    assert tuple(frame.columns) == AUTOCODE_COLUMNS
    assert str(frame["confidence"].dtype) == "float64"
    check_frame(frame, MIXED, tiny_codebook())
    assert (frame["unit"] == "sentence").all()


def test_no_cues_gives_an_empty_frame_with_the_columns() -> None:
    frame = autocode_text("I: Apa kabar, Bu? Baik saja.", tiny_codebook())
    assert frame.empty
    assert tuple(frame.columns) == AUTOCODE_COLUMNS


@pytest.mark.parametrize("unit", UNITS)
def test_real_codebook_on_real_documents(unit: str) -> None:
    codebook = real_codebook()
    docs = [d for d in real_corpus() if d.doc_id in ("asoka-int-chair", "melati-obs-meeting")]
    assert len(docs) == 2
    for doc in docs:
        frame = autocode_text(doc.text, codebook, unit=unit)
        assert len(frame) > 5
        check_frame(frame, doc.text, codebook)
        assert (frame["unit"] == unit).all()


def test_factor_is_the_top_level_ancestor_with_a_hand_made_codebook() -> None:
    frame = autocode_text(MIXED, tiny_codebook(), unit="match")
    assert dict(rows(frame, "code_id", "factor")) == {
        "capital": "capital", "capital.loan": "capital",
        "leadership": "leadership", "leadership.meetings": "leadership"}


# --------------------------------------------------------------------------- units
def test_match_inside_sentence_inside_turn() -> None:
    cb = tiny_codebook()
    match, sentence, turn = (autocode_text(MIXED, cb, unit=u) for u in ("match", "sentence", "turn"))
    assert len(match) >= len(sentence) >= len(turn) > 0
    assert inside(match, sentence)
    assert inside(sentence, turn)
    assert rows(match, "text") == [("Modal",), ("Ketua",), ("rapat",), ("Pinjaman",), ("modal",),
                                   ("Rapat",), ("modal",), ("Permodalan",)]


def test_unit_spans_on_a_real_document() -> None:
    text = next(d for d in real_corpus() if d.doc_id == "asoka-int-treasurer").text
    frames = {u: autocode_text(text, real_codebook(), unit=u) for u in UNITS}
    assert inside(frames["match"], frames["sentence"])
    assert inside(frames["sentence"], frames["turn"])


@pytest.mark.parametrize("unit", ["word", "Sentence", "", "paragraph"])
def test_bad_unit_is_a_value_error(unit: str) -> None:
    with pytest.raises(ParameterError, match=rf"'unit' parameter of autocode_text must be one "
                                             rf"of .*Got {unit!r} instead"):
        autocode_text(MIXED, tiny_codebook(), unit=unit)
    with pytest.raises(ValueError, match="'unit' parameter of autocode_segments"):
        autocode_segments(MIXED, [Segment("d", "d:t1", "turn", 0, 10, MIXED[:10])],
                          tiny_codebook(), unit=unit)


def test_turn_unit_is_the_turn_without_its_label() -> None:
    text = "P: Modal?\nI: Modal kami bertambah. Ketua rajin."
    frame = autocode_text(text, tiny_codebook(), unit="turn")
    assert set(frame["text"]) == {"Modal kami bertambah. Ketua rajin."}


# --------------------------------------------------------------------------- speakers
def test_interviewer_turns_are_skipped_by_default() -> None:
    text = "P: Modal kami bertambah, kan?\nI: Iya, Pak."
    assert autocode_text(text, tiny_codebook()).empty
    coded = autocode_text(text, tiny_codebook(), skip_speakers=())
    assert rows(coded, "code_id", "text") == [("capital", "Modal kami bertambah, kan?")]


def test_skip_speakers_can_name_other_labels() -> None:
    text = "P: Modal?\nS: Modal macet.\nI: Ketua rajin."
    frame = autocode_text(text, tiny_codebook(), skip_speakers=("P", "S"))
    assert rows(frame, "code_id") == [("leadership",)]


def test_text_without_labels_is_coded_by_paragraph() -> None:
    text = "Modal kelompok bertambah.\n\nKetua membuka rapat."
    frame = autocode_text(text, tiny_codebook(), unit="turn")
    assert rows(frame, "text") == [("Modal kelompok bertambah.",), ("Ketua membuka rapat.",)]


# --------------------------------------------------------------------------- valence
@pytest.mark.parametrize(("text", "valence"), [
    ("I: Modal kami bertambah.", "positive"),
    ("I: Modal kami tidak bertambah.", "negative"),        # a negator flips a positive cue
    ("I: Modal macet.", "negative"),
    ("I: Modal kami tidak macet lagi.", "positive"),       # ... and a negative one
    # 'tapi' ends the clause: no polarity cue in it, so the sentence's cues count (half weight)
    ("I: Modal kami ada, tapi usaha macet.", "negative"),
    ("I: Modal kami bertambah, tapi usaha macet.", "positive"),
    ("I: Usaha macet, modal kami ada.", "negative"),        # so does punctuation
    ("I: Modal kami ada.", "neutral"),
    ("I: Tidak ada modal.", "negative"),                   # negator near the cue, no polarity
    ("I: Modal belum bertambah.", "negative"),
    ("I: Modal kami lancar.", "positive"),                 # a general positive cue
])
def test_valence_rules(text: str, valence: str) -> None:
    frame = autocode_text(text, tiny_codebook())
    assert rows(frame, "code_id", "valence") == [("capital", valence)]
    assert frame["text"].iloc[0] == text[3:]


def test_polarity_cues_of_another_code_do_not_count() -> None:
    # 'biru' is a positive cue of colour only: it says nothing about capital
    codebook = Codebook((make_code("capital", lemmas=("modal",)),
                         make_code("colour", phrases=("warna",), positive=("biru",))))
    frame = autocode_text("I: Modal kami biru.", codebook)
    assert rows(frame, "code_id", "valence") == [("capital", "neutral")]
    frame = autocode_text("I: Warna kami biru.", codebook)
    assert rows(frame, "code_id", "valence") == [("colour", "positive")]


def test_sub_code_inherits_its_parents_polarity_cues() -> None:
    # 'batal' is a negative cue of leadership, the parent of leadership.meetings
    frame = autocode_text("I: Rapat batal.", tiny_codebook())
    assert rows(frame, "code_id", "valence") == [("leadership.meetings", "negative")]


def test_each_code_gets_the_valence_of_its_own_clause() -> None:
    frame = autocode_text("I: Modal belum bertambah tapi ketua rajin.", tiny_codebook())
    assert rows(frame, "code_id", "valence") == [("capital", "negative"),
                                                 ("leadership", "positive")]


def test_a_polarity_word_counts_once() -> None:
    # 'bertambah' is one positive cue (listed by the code and by its parent), 'dipotong' one
    # negative cue: +1 - 1 = 0
    codebook = Codebook((
        make_code("capital", lemmas=("modal",), positive=("bertambah",)),
        make_code("capital.loan", parent="capital", phrases=("pinjaman",),
                  positive=("bertambah",), negative=("dipotong",)),
    ))
    frame = autocode_text("I: Pinjaman bertambah lalu dipotong.", codebook)
    assert rows(frame, "code_id", "valence") == [("capital.loan", "neutral")]


# --------------------------------------------------------------------------- matching
@pytest.mark.parametrize(("text", "cue"), [
    ("I: Permodalan kami bertambah.", "permodalan"),   # affixed form -> lemma 'modal'
    ("I: MODAL kami bertambah.", "modal"),
    ("I: Kami punya modal. Modal itu bertambah.", "modal"),
])
def test_lemma_cues_match_affixed_and_capitalised_forms(text: str, cue: str) -> None:
    frame = autocode_text(text, tiny_codebook(), unit="match")
    assert set(frame["code_id"]) == {"capital"}
    assert set(frame["text"].str.lower()) == {cue}
    assert set(frame["cues"]) == {cue}


def test_phrase_cues_match_case_insensitively_but_not_other_forms() -> None:
    frame = autocode_text("I: KETUA datang. Ketuanya pergi.", tiny_codebook(), unit="match")
    assert rows(frame, "text") == [("KETUA",)]


def test_sub_code_beats_its_parent_in_the_same_unit() -> None:
    text = "I: Modal dan pinjaman kami bertambah. Modal kami cukup."
    sentence = autocode_text(text, tiny_codebook())
    assert rows(sentence, "code_id", "text") == [
        ("capital.loan", "Modal dan pinjaman kami bertambah."), ("capital", "Modal kami cukup.")]
    turn = autocode_text(text, tiny_codebook(), unit="turn")
    assert rows(turn, "code_id") == [("capital.loan",)]
    match = autocode_text(text, tiny_codebook(), unit="match")  # separate spans: both kept
    assert rows(match, "code_id") == [("capital",), ("capital.loan",), ("capital",)]


def test_codes_of_different_factors_share_a_unit() -> None:
    frame = autocode_text("I: Ketua menambah modal.", tiny_codebook())
    assert sorted(frame["code_id"]) == ["capital", "leadership"]
    assert frame["start"].nunique() == 1 and frame["end"].nunique() == 1


def test_confidence_combines_distinct_cues() -> None:
    frame = autocode_text("I: Modal dan permodalan.", tiny_codebook())
    assert frame["confidence"].tolist() == [pytest.approx(1 - 0.3 * 0.3)]
    frame = autocode_text("I: Ketua.", tiny_codebook())
    assert frame["confidence"].tolist() == [pytest.approx(0.85)]


def test_match_unit_has_one_row_per_span_and_code() -> None:
    codebook = Codebook((make_code("capital", phrases=("modal",), lemmas=("modal",)),))
    frame = autocode_text("I: Modal kami bertambah.", codebook, unit="match")
    assert not frame.duplicated(["start", "end", "code_id"]).any()
    real = autocode_text("I: Dana pencairan sudah masuk.", real_codebook(), unit="match")
    assert not real.duplicated(["start", "end", "code_id"]).any()


# --------------------------------------------------------------------------- sentences
def test_sentence_codings_do_not_start_with_whitespace() -> None:
    frame = autocode_text("I: Modal kami bertambah.\nPinjaman macet.", tiny_codebook())
    assert rows(frame, "text") == [("Modal kami bertambah.",), ("Pinjaman macet.",)]


def test_sentence_units_are_the_corpus_sentences() -> None:
    front = ("---\nid: d\ngroup: Asoka\nvillage: Durian Daun\nsource_type: observation\n"
             "informant_role: researcher\ninformant: R\ndate: 2004-03-01\n---\n")
    parsed = parse_document(front + "Modal sudah lunas. [Ketua tertawa.] Modal bertambah.\n")
    text = parsed.document.text
    sentences = {(s.start, s.end) for s in segment_document(parsed) if s.kind == "sentence"}
    frame = autocode_text(text, tiny_codebook())
    assert set(rows(frame, "start", "end")) <= sentences


# --------------------------------------------------------------------------- determinism
def test_deterministic() -> None:
    first = autocode_text(MIXED, tiny_codebook(), unit="match")
    pd.testing.assert_frame_equal(first, autocode_text(MIXED, tiny_codebook(), unit="match"))
    # an equal but distinct codebook object (no matcher cache hit) gives the same rows
    copy = Codebook(tuple(tiny_codebook()), name="copy")
    pd.testing.assert_frame_equal(first, autocode_text(MIXED, copy, unit="match"))


def test_deterministic_on_a_real_document() -> None:
    text = next(d for d in real_corpus() if d.doc_id == "melati-int-chair").text
    first = autocode_text(text, real_codebook())
    pd.testing.assert_frame_equal(first, autocode_text(text, real_codebook()))


# --------------------------------------------------------------------------- hypothesis
WORDS = ("modal", "Modal", "permodalan", "pinjaman", "ketua", "rapat", "bertambah", "macet",
         "tidak", "tapi", "kami", "🙂", "café", ",", ".", "!", "?", "[", "]", "\n", "\n\n",
         "I:", "P:", "\nI:", "\nP:", " ")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=30).map(" ".join), st.sampled_from(UNITS))
def test_offsets_and_text_for_any_word_salad(text: str, unit: str) -> None:
    frame = autocode_text(text, tiny_codebook(), unit=unit)
    check_frame(frame, text, tiny_codebook())
    if unit != "turn":
        coarser = autocode_text(text, tiny_codebook(), unit="turn")
        assert inside(frame, coarser)


# --------------------------------------------------------------------------- sentence bounds
@given(st.lists(st.sampled_from(["Modal", "naik", ".", "!", "?", ",", "...", "[", "]", "\"",
                                 "tapi", "Ibu", ":", "\n", "dia", "2004.", "Rp", "20.000"]),
                min_size=1, max_size=40))
@settings(max_examples=200, deadline=None)
def test_sentence_bounds_equal_the_spacy_sentencizer(words: list[str]) -> None:
    from uppks_qual.autocode import build_matchers, sentence_bounds
    from uppks_qual.nlp import get_nlp

    nlp = get_nlp()
    text = " ".join(words)
    with nlp.select_pipes(enable=["sentencizer"]):
        reference = nlp(text)
    expected = [s.start for s in reference.sents] + [len(reference)]
    got = sentence_bounds(nlp.make_doc(text), build_matchers(tiny_codebook())).tolist()
    assert got == expected

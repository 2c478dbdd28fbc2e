"""Tests for :mod:`uppks_qual.autocode` (the pure ``autocode_text`` function).

Most cases use a tiny hand-made codebook (``capital`` with the lemma cue *modal*, positive
*bertambah*, negative *macet*; see ``conftest_project.tiny_codebook``) so the expected valence
of each sentence can be worked out by hand from the rules in the module docstring; the real
``codebook.yaml`` and corpus check the invariants at scale.
"""

from __future__ import annotations

import itertools

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
    # after 'tapi' the later clause has the final say, whatever the clause of the cue says
    ("I: Modal kami ada, tapi usaha macet.", "negative"),
    ("I: Modal kami bertambah, tapi usaha macet.", "negative"),
    # punctuation ends a clause: no polarity cue in it, so the sentence's cues count (half)
    ("I: Usaha macet, modal kami ada.", "negative"),
    ("I: Modal kami ada.", "neutral"),
    ("I: Tidak ada modal.", "negative"),                   # negator near the cue, no polarity
    ("I: Modal belum bertambah.", "negative"),
    ("I: Modal kami lancar.", "positive"),                 # a general positive cue
])
def test_valence_rules(text: str, valence: str) -> None:
    frame = autocode_text(text, tiny_codebook())
    assert rows(frame, "code_id", "valence") == [("capital", valence)]
    assert frame["text"].iloc[0] == text[3:]


def test_polarity_cues_of_another_code_count_only_as_a_last_resort() -> None:
    # 'biru' is a positive cue of colour only: against capital's own cue it does not count
    codebook = Codebook((make_code("capital", lemmas=("modal",), negative=("macet",)),
                         make_code("colour", phrases=("warna",), positive=("biru",))))
    frame = autocode_text("I: Modal kami macet dan biru.", codebook)
    assert rows(frame, "code_id", "valence") == [("capital", "negative")]
    frame = autocode_text("I: Warna kami biru.", codebook)
    assert rows(frame, "code_id", "valence") == [("colour", "positive")]
    # with no polarity word of its own in the sentence, other codes' words give the tone
    frame = autocode_text("I: Modal kami biru.", codebook)
    assert rows(frame, "code_id", "valence") == [("capital", "positive")]
    # ... unless the codes disagree about the word
    codebook = Codebook((*codebook, make_code("sky", phrases=("langit",), negative=("biru",))))
    frame = autocode_text("I: Modal kami biru.", codebook)
    assert rows(frame, "code_id", "valence") == [("capital", "neutral")]


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


# --------------------------------------------------------------------------- valence: clauses
def valence_of(text: str, code_id: str = "capital",
               codebook: Codebook | None = None) -> tuple[str, float]:
    """Valence and confidence of the one coding of ``code_id`` in ``text``."""
    frame = autocode_text(text, codebook or tiny_codebook())
    found = frame[frame["code_id"] == code_id]
    assert len(found) == 1, frame
    return str(found["valence"].iloc[0]), float(found["confidence"].iloc[0])


@pytest.mark.parametrize("contrast", ["tapi", "tetapi", "namun", "padahal", "sedangkan"])
def test_contrast_gives_the_later_clause_the_final_say(contrast: str) -> None:
    assert valence_of(f"I: Waktu awal modal kami macet, {contrast} sekarang sudah "
                      f"bertambah.")[0] == "positive"
    assert valence_of(f"I: Modal kami bertambah, {contrast} sekarang macet.")[0] == "negative"
    # the cue in the later clause: its own clause
    assert valence_of(f"I: Usaha kami macet, {contrast} modal bertambah.")[0] == "positive"


@pytest.mark.parametrize("word", ["cuma", "cuman", "hanya saja"])
def test_cuma_and_hanya_saja_contrast_at_the_start_of_a_clause(word: str) -> None:
    assert valence_of(f"I: Modal bertambah, {word} usaha macet.")[0] == "negative"
    # inside a clause 'cuma' means 'only': no contrast, the clause's own cue counts
    assert valence_of("I: Modal cuma bertambah sedikit-sedikit.")[0] == "positive"
    assert valence_of("I: Usaha macet, modal cuma bertambah.")[0] == "positive"


def test_a_later_clause_about_another_factor_does_not_override() -> None:
    text = "I: Modal kami bertambah, tapi ketua malas dan rapat batal."
    assert valence_of(text)[0] == "positive"
    assert valence_of(text, "leadership.meetings")[0] == "negative"


@pytest.mark.parametrize("word", ["walaupun", "meskipun", "biarpun", "walau", "meski"])
def test_concessive_clause_yields_to_the_other_clause(word: str) -> None:
    # the cue in the concessive clause takes the main clause's polarity...
    assert valence_of(f"I: {word.capitalize()} modal sempat macet, usaha kami "
                      f"bertambah.")[0] == "positive"
    assert valence_of(f"I: Usaha kami macet, {word} modal bertambah.")[0] == "negative"
    # ... and the main clause keeps its own
    assert valence_of(f"I: Modal kami bertambah, {word} usaha sempat macet.")[0] == "positive"


@pytest.mark.parametrize(("text", "valence"), [
    ("I: Modal kami tidak bertambah.", "negative"),
    ("I: Tidak, modal kami bertambah.", "positive"),        # the comma ends the negation
    ("I: Ketua tidak datang, modal bertambah.", "positive"),
    ("I: Modal tidak datang tapi bertambah.", "positive"),   # so does a contrast word
    # ... and so do subordinators inside a clause: 'tidak' does not reach 'macet'
    ("I: Tidak ada yang tahu bahwa modal macet.", "negative"),
    ("I: Modal kami tidak pernah macet.", "positive"),      # not only the next word
    ("I: Modal kami indak macet lai.", "positive"),         # Minang negators
    ("I: Modal alun bertambah.", "negative"),
    ("I: Modal nda bertambah.", "negative"),
])
def test_negation_scope_ends_at_a_clause_break(text: str, valence: str) -> None:
    assert valence_of(text)[0] == valence


@pytest.mark.parametrize(("text", "valence"), [
    ("I: Modal kami bukan tidak bertambah.", "positive"),
    ("I: Modal kami tidak pernah tidak bertambah.", "positive"),
    ("I: Modal kami bukan tidak macet.", "negative"),
    ("I: Tanpa modal kami tidak bisa apa-apa.", "positive"),  # no polarity word: two cancel
    ("I: Tidak ada modal.", "negative"),                    # one alone counts -1
])
def test_double_negation_cancels(text: str, valence: str) -> None:
    assert valence_of(text)[0] == valence


@pytest.mark.parametrize("hedge", ["Mungkin", "Barangkali", "Kalau tidak salah,", "Agak",
                                   "Sedikit"])
def test_a_hedge_lowers_the_confidence_not_the_valence(hedge: str) -> None:
    plain, certain = valence_of("I: Modal kami bertambah.")
    valence, hedged = valence_of(f"I: {hedge} modal kami bertambah.")
    assert (plain, valence) == ("positive", "positive")
    assert hedged == pytest.approx(certain * 0.75, abs=1e-4)


def test_kalau_tidak_salah_is_a_hedge_not_a_negation() -> None:
    # neither 'tidak' nor 'salah' counts: the clause stays negative, with less confidence
    assert valence_of("I: Modal kami macet, kalau tidak salah.")[0] == "negative"
    assert valence_of("I: Kalau tidak salah modal kami macet.")[0] == "negative"


def test_a_hedged_clause_counts_half_against_a_certain_one() -> None:
    # both clauses code capital in one sentence: -1 (certain) + 0.5 (hedged) < 0
    assert valence_of("I: Modal mungkin bertambah, modal kami macet.")[0] == "negative"


def test_a_question_lowers_the_confidence() -> None:
    valence, asked = valence_of("I: Modal kami bertambah?")
    assert valence == "positive"
    assert asked == pytest.approx(valence_of("I: Modal kami bertambah.")[1] * 0.6, abs=1e-4)
    _, both = valence_of("I: Mungkin modal kami bertambah?")
    assert both == pytest.approx(valence_of("I: Modal kami bertambah.")[1] * 0.45, abs=1e-4)
    # only the clause before the question mark is asked
    assert valence_of("I: Rapat batal? Modal kami bertambah.")[1] == pytest.approx(
        valence_of("I: Modal kami bertambah.")[1])


@pytest.mark.parametrize("wish", ["Saya ingin", "Mestinya", "Sebaiknya", "Kalau bisa",
                                  "Semoga"])
def test_a_wish_is_for_what_is_lacking(wish: str) -> None:
    assert valence_of(f"I: {wish} modal kami bertambah.")[0] == "negative"


def test_a_condition_of_absence_says_what_is_needed() -> None:
    codebook = tiny_codebook()
    assert valence_of("I: Kalau tidak ada ketua, rapat batal.",
                      "leadership.meetings")[0] == "positive"
    assert valence_of("I: Tanpa modal, usaha macet.", codebook=codebook)[0] == "positive"
    # a negated polarity word in the condition is a worry, not an absence
    assert valence_of("I: Kalau modal tidak bertambah, usaha macet.")[0] == "negative"


def neutral_word_codebook() -> Codebook:
    return Codebook((make_code("capital", lemmas=("modal",), positive=("jelas", "teratur"),
                               negative=("putus", "tunggak")),))


@pytest.mark.parametrize(("text", "valence"), [
    # suffixed derivations of a base-form cue name an act or a thing: they do not evaluate
    ("I: Keputusan soal modal dibacakan.", "neutral"),      # keputusan -> putus
    ("I: Penjelasan soal modal dibacakan.", "neutral"),     # penjelasan -> jelas
    ("I: Ketua menjelaskan soal modal.", "neutral"),        # menjelaskan -> jelas
    ("I: Sebenarnya modal itu ada.", "neutral"),            # sebenarnya -> benar (se-nya)
    ("I: Modal kami menunggak.", "negative"),               # prefixed forms still count
    ("I: Soal modal sudah jelas.", "positive"),
    ("I: Soal modal kurang jelas.", "negative"),
    # a cue written in a derived form matches only as written: teratur, not aturan (atur)
    ("I: Aturan soal modal dibacakan.", "neutral"),
    ("I: Setoran modal teratur.", "positive"),
])
def test_words_neutral_in_context_no_longer_flip(text: str, valence: str) -> None:
    assert valence_of(text, codebook=neutral_word_codebook())[0] == valence


@pytest.mark.parametrize(("text", "code_id", "valence"), [
    ("I: Ninik mamak, alim ulama, cadiak pandai ikut rapat.", "leader_support", "neutral"),
    ("I: Rumah PLKB dekat sekolah.", "officer_role", "neutral"),
    ("I: Salah satu anggota menyetor angsuran.", "capital_growth", "neutral"),
    ("I: Kata orang pinjaman itu uang hibah.", "information_clarity", "negative"),
    ("I: Waktu awal memang ada yang curiga pada ketua, tapi sekarang sudah percaya.",
     "leadership", "positive"),
])
def test_real_codebook_valence(text: str, code_id: str, valence: str) -> None:
    frame = autocode_text(text, real_codebook())
    factor = frame[frame["factor"] == code_id]
    assert len(factor) == 1, frame
    assert factor["valence"].iloc[0] == valence


NEGATIVE_PREDICATES = ("macet", "tidak bertambah", "belum bertambah", "indak bertambah",
                       "tak bertambah lagi", "ndak bertambah", "sempat macet", "masih macet")
POSITIVE_PREDICATES = ("bertambah", "tidak macet lagi", "sudah bertambah", "bertambah lagi",
                       "indak macet", "bukan tidak bertambah", "lancar")
FILLERS = ("", " sejak putaran tiga", " tahun lalu", " waktu itu", " di kelompok")


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(NEGATIVE_PREDICATES), st.sampled_from(POSITIVE_PREDICATES),
       st.sampled_from(FILLERS), st.sampled_from(FILLERS),
       st.sampled_from(["tapi", "tetapi", "namun", "padahal"]),
       st.sampled_from(["", "sekarang ", "untungnya ", "usaha "]))
def test_a_positive_clause_after_tapi_wins(negative: str, positive: str, fill1: str,
                                           fill2: str, contrast: str, subject: str) -> None:
    first = f"I: Modal kami {negative}{fill1}"
    assert valence_of(first + ".")[0] == "negative"
    assert valence_of(f"{first}, {contrast} {subject}{positive}{fill2}.")[0] == "positive"
    # and the other way round: a negative later clause wins over a positive first one
    other = f"I: Modal kami {positive}{fill1}, {contrast} {subject}{negative}{fill2}."
    assert valence_of(other)[0] == "negative"


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


# --------------------------------------------------------------------------- fast paths
def clauses_token_by_token(breaks: list[bool], kind: list[int], bounds: list[int],
                           hedge: set[int], question: set[int]) -> list[tuple]:
    """The clause rules of the module docstring read one token at a time: what the
    vectorised ``_clause_table`` must give."""
    out = []
    for lo, hi in itertools.pairwise(bounds):
        spans, segment, concessive, start = [], 0, False, None
        for t in range(lo, hi):
            if not (breaks[t] or (kind[t] == 2 and start is None)):
                start = t if start is None else start
                continue
            if start is not None:
                spans.append((start, t, segment, concessive))
                start, concessive = None, False
            if kind[t] in (1, 2):
                segment, concessive = segment + 1, False
            elif kind[t] == 3:
                concessive = True
        if start is not None:
            spans.append((start, hi, segment, concessive))
        aside = any(set(range(a, b)) <= hedge for a, b, _, _ in spans)
        for i, (a, b, seg, conc) in enumerate(spans):
            after = spans[i + 1][0] if i + 1 < len(spans) else hi
            out.append((a, b, seg, conc, aside or bool(hedge & set(range(a, b))),
                        bool(question & set(range(b, after)))))
    return out


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_clause_table_follows_the_token_by_token_rules(data: st.DataObject) -> None:
    import numpy as np

    from uppks_qual.autocode import _clause_table

    n = data.draw(st.integers(1, 40))
    breaks = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    kind = data.draw(st.lists(st.sampled_from([0, 0, 0, 1, 2, 2, 3]), min_size=n, max_size=n))
    bounds = sorted({0, n, *data.draw(st.lists(st.integers(1, n), max_size=6))})
    positions = st.lists(st.integers(0, n - 1), max_size=n).map(lambda p: sorted(set(p)))
    found = {name: data.draw(positions) for name in ("HEDGE", "QUESTION", "WISH", "CONDITION",
                                                     "NEGATOR")}
    hits = sorted((("*", s, s + 1, 1.0) for s in data.draw(positions)), key=lambda h: h[1])
    table = _clause_table(np.array(breaks), {t: k for t, k in enumerate(kind) if k},
                          np.array(bounds), found, hits)
    got = list(zip(table.start, table.end, table.segment, table.concessive, table.hedged,
                   table.question, strict=True))
    assert got == clauses_token_by_token(breaks, kind, bounds, set(found["HEDGE"]),
                                         set(found["QUESTION"]))
    for c, (a, b) in enumerate(zip(table.start, table.end, strict=True)):
        assert table.wish[c] == any(a <= t < b for t in found["WISH"])
        assert table.negated[c] == any(a <= t < b for t in found["NEGATOR"])
        assert hits[table.cue_from[c] : table.cue_to[c]] == [h for h in hits if a <= h[1] < b]


@pytest.mark.parametrize("unit", UNITS)
def test_autocode_text_frame_is_autocode_frame_of_the_rows(unit: str) -> None:
    """autocode_text builds its frame column by column; autocode_frame from row dicts."""
    from uppks_qual.autocode import autocode_frame
    from uppks_qual.corpus import split_units

    for doc in list(real_corpus())[:4]:
        units = split_units(doc.text, interview=doc.source_type == "interview")
        rows_ = autocode_segments(doc.text, units, real_codebook(), unit=unit)
        pd.testing.assert_frame_equal(autocode_text(doc.text, real_codebook(), unit=unit),
                                      autocode_frame(rows_), check_exact=True)
    pd.testing.assert_frame_equal(autocode_text("P: Modal?", real_codebook(), unit=unit),
                                  autocode_frame([]), check_exact=True)

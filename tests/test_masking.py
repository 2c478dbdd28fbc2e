"""Masking names of people, groups and places (features of the learned coder, blind coding)."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from uppks_qual.masking import HONORIFICS, Masker, masker_for
from uppks_qual.records import Document


def test_terms_become_tokens_longest_first() -> None:
    m = Masker(groups=["Asoka"], places=["Durian Daun", "Durian"], people=["Ratna Dewi"])
    assert m.mask("Di Durian Daun, kelompok Asoka dipimpin Ratna Dewi.") == \
        "Di TEMPAT, kelompok KELOMPOK dipimpin NAMA."
    assert m.mask("RATNA datang ke asoka.") == "NAMA datang ke KELOMPOK."  # case-insensitive


def test_whole_words_only() -> None:
    m = Masker(groups=["Asoka"], people=["Ani"])
    assert m.mask("Asokaria dan Ani-ani, tapi Ani datang.") == "Asokaria dan Ani-ani, tapi NAMA datang."


def test_a_name_after_an_honorific_is_masked_even_when_unknown() -> None:
    m = Masker()
    assert m.mask("Kata Ibu Rosna Wati dan Pak Hasan, ketua rajin.") == \
        "Kata Ibu NAMA dan Pak NAMA, ketua rajin."
    assert m.mask("ibu-ibu datang, pak ketua juga.") == "ibu-ibu datang, pak ketua juga."


def test_role_words_are_kept() -> None:
    m = masker_for(groups={"Melati": "Padang Olo"})
    assert m.mask("PLKB dan wali nagari datang ke rapat Melati.") == \
        "PLKB dan wali nagari datang ke rapat KELOMPOK."


def test_masker_for_collects_front_matter_names() -> None:
    doc = Document("d", "I: Ya.", "Asoka", "Durian Daun", "interview", "chair", "Ibu Ratna Dewi",
                   "2004", meta={"speakers": {"P": "interviewer", "I": "informant",
                                              "B": "Buya Syamsul"}})
    m = masker_for(documents=[doc], actors=["Pak Afrizal"])
    assert m.terms["asoka"] == "group" and m.terms["durian daun"] == "place"
    assert {"ratna", "dewi", "syamsul", "afrizal"} <= {k for k, v in m.terms.items()
                                                       if v == "person"}
    assert "interviewer" not in m.terms and "ibu" not in m.terms
    assert m.mask("Syamsul dan Afrizal bicara dengan Ratna.") == "NAMA dan NAMA bicara dengan NAMA."


names = st.from_regex(r"[A-Z][a-z]{3,8}", fullmatch=True).filter(
    lambda s: s not in HONORIFICS)


@given(a=names, b=names)
def test_renaming_a_group_does_not_change_the_masked_text(a: str, b: str) -> None:
    assume(a.casefold() != b.casefold())  # a group named like a person is ambiguous
    text = "Kelompok {} maju karena ketua {} rajin, kata Ibu {}."
    one = Masker(groups=[a], people=[b]).mask(text.format(a, b, b))
    two = Masker(groups=[b + "x"], people=[a + "y"]).mask(text.format(b + "x", a + "y", a + "y"))
    assert one == two == "Kelompok KELOMPOK maju karena ketua NAMA rajin, kata Ibu NAMA."


def _one_alternation(masker: Masker, text: str) -> str:
    """The masking as first written: one alternation of every term, longest first (the
    reference the grouped pattern must equal)."""
    import re

    from uppks_qual.masking import _AFTER_HONORIFIC, TOKENS

    text = _AFTER_HONORIFIC.sub(masker._honorific, text)
    if not masker.terms:
        return text
    body = "|".join(re.escape(t).replace(r"\ ", r"\s+")
                    for t in sorted(masker.terms, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)
    return pattern.sub(lambda m: TOKENS[masker.terms[" ".join(m.group(0).split()).casefold()]],
                       text)


_WORD = st.text(alphabet="aAbBdDiInNsS-é", min_size=1, max_size=5)
_TERM = st.lists(_WORD, min_size=1, max_size=3).map(" ".join)


@given(groups=st.lists(_TERM, max_size=4), places=st.lists(_TERM, max_size=4),
       people=st.lists(_TERM, max_size=4), data=st.data())
def test_the_grouped_pattern_masks_as_one_alternation(groups: list[str], places: list[str],
                                                      people: list[str],
                                                      data: st.DataObject) -> None:
    masker = Masker(groups=groups, places=places, people=people)
    # texts made of the terms themselves (in any case), other words and separators
    pieces = st.one_of(_WORD, st.sampled_from([" ", "  ", "\n", ",", ".", "-"]),
                       *([st.sampled_from([*groups, *places, *people]).map(
                           lambda t: t.upper() if len(t) % 2 else t)]
                         if groups or places or people else []))
    text = data.draw(st.lists(pieces, max_size=30).map("".join))
    assert masker.mask(text) == _one_alternation(masker, text)
